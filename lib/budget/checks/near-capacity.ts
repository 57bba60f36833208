import { ceilingName, describeCeiling } from '../describe';
import { percent } from '../text';
import { Check } from './check';

export const nearCapacity: Check = {
  id: 'CB-NEAR-CAPACITY',
  level: 'warning',
  summary: 'What must fit (fixed pools, and derived pools at their minimum) is within the warning threshold of the ceiling.',
  explanation:
    'A budget that fits with little headroom breaks on the next added task, pool or service; '
    + 'the warning asks for a decision before that happens.',
  onePerSubject: true,
  run: ({ path, capacity, totals, input, consumers }) => {
    if (!capacity || capacity.effectiveCeiling === 0 || totals.required > capacity.effectiveCeiling) {
      return [];
    }
    const share = (100 * totals.required) / capacity.effectiveCeiling;
    if (share < input.warningThresholdPercent) {
      return [];
    }
    const what = consumers.some((c) => c.input.pool.kind === 'share')
      ? `fixed pools and the minimum of derived pools need ${totals.required},`
      : `worst-case demand ${totals.required} is`;
    return [{
      subject: path,
      message: `${what} ${percent(share)} of the ${ceilingName(capacity)} ${capacity.effectiveCeiling} (${describeCeiling(capacity)}), `
        + `at or above the ${input.warningThresholdPercent} % warning threshold; headroom ${capacity.effectiveCeiling - totals.required}.`,
      fix: 'Lower pools or maximum tasks, raise max_connections, or acknowledge CB-NEAR-CAPACITY on the budget if the margin is intended.',
    }];
  },
};
