import { ceilingName } from '../describe';
import { count, listOf, percent } from '../text';
import { Check } from './check';

export const sharesCapped: Check = {
  id: 'CB-SHARES-CAPPED',
  level: 'warning',
  summary: 'Derived pools of different weights stopped at their maximum while the ceiling still had room for them.',
  explanation:
    'A weighted share is clamped to its maximum (20 by default). When every share that could grow is at its maximum, the '
    + 'weights no longer decide the split and part of the ceiling stays unused; the budget says so rather than leave it silent.',
  onePerSubject: true,
  run: ({ path, capacity, totals, consumers }) => {
    if (!capacity || totals.required > capacity.effectiveCeiling) return [];
    const unused = capacity.effectiveCeiling - totals.demand;
    // A capped share that one more pool unit would still fit: the cap, not the ceiling, stopped it.
    const capped = consumers.flatMap((c) => {
      const pool = c.input.pool;
      const step = (c.instances?.peak ?? 0) * c.input.connections.processes * c.input.connections.poolsPerProcess;
      return pool.kind === 'share' && !c.direct && c.instances && c.poolSize === pool.max && step <= unused ? [{ path: c.input.path, weight: pool.weight, max: pool.max }] : [];
    });
    // One share at the maximum its owner chose is that choice; shares of different weights all at theirs no longer follow their weights.
    if (new Set(capped.map((c) => c.weight)).size < 2) return [];
    const used = (100 * totals.demand) / capacity.effectiveCeiling;
    const pools = capped.map((c) => `'${c.path}' (weight ${c.weight}) at its maximum ${c.max}`);
    return [{
      subject: path,
      message: `${count(capped.length, 'derived pool')} of different weights stopped at their maximum: ${listOf(pools, 'and')}; `
        + `${unused} of the ${ceilingName(capacity)} ${capacity.effectiveCeiling} stay unused (${percent(used)} used), and the weights no longer decide the split.`,
      fix: 'Raise the max of their PoolSize.share to let them use it, or acknowledge CB-SHARES-CAPPED on the budget if the headroom is intended.',
    }];
  },
};
