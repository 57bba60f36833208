import { Capacity, deriveMaxConnectionsPercent, proxyCeiling } from '../capacity';
import { connectionsPerInstance, instanceBound, instanceCounts, withInstanceBound } from '../demand';
import { ceilingName, describeCeiling, describeDemand, sentence } from '../describe';
import { ConsumerResult } from '../model';
import { listOf } from '../text';
import { Check, CheckContext, Finding } from './check';

/** How many consumers the message lists. */
const LARGEST_CONSUMERS_SHOWN = 3;

export const overCapacity: Check = {
  id: 'CB-OVER-CAPACITY',
  level: 'error',
  summary: 'Worst-case demand exceeds what the proxy and the database can hold.',
  explanation:
    'When every consumer reaches its worst case at once (a deployment of every service, autoscaling at its maximum), '
    + 'the database or RDS Proxy refuses connections and the platform goes down although the database is healthy.',
  run: (context) => {
    const { capacity, totals } = context;
    if (!capacity || totals.required <= capacity.effectiveCeiling) {
      return [];
    }
    return [finding(context, capacity)];
  },
};

function finding(context: CheckContext, capacity: Capacity): Finding {
  const required = context.totals.required;
  const excess = required - capacity.effectiveCeiling;
  const hasShares = context.consumers.some((c) => c.input.pool.kind === 'share');
  const largest = [...context.consumers]
    .filter((c) => c.demand > 0 && !c.direct)
    .sort((a, b) => b.demand - a.demand)
    .slice(0, LARGEST_CONSUMERS_SHOWN);
  const demandText = hasShares ? `worst-case demand ${required} (every derived pool at its minimum)` : `worst-case demand ${required}`;
  // CloudFormation updates sibling resources in parallel (SOURCES.cloudFormationParallelUpdates).
  const largestText = largest.length > 0
    ? ` Every consumer can peak at once (CloudFormation deploys services in parallel); largest: ${largest.map(describeDemand).join('; ')}.`
    : '';
  const fixes = [
    ...(largest[0] ? consumerFixes(largest[0], excess) : []),
    ...capacityFixes(capacity, required),
  ];
  return {
    subject: context.path,
    message: `${demandText} exceeds the ${ceilingName(capacity)} ${capacity.effectiveCeiling} by ${excess}: ${describeCeiling(capacity)}.${largestText}`,
    fix: sentence(listOf(fixes, 'or')),
  };
}

/** Smaller task bound or pool for one consumer that would remove `excess` connections. */
function consumerFixes(consumer: ConsumerResult, excess: number): string[] {
  const { shape, connections, pool } = consumer.input;
  if (!shape) {
    return [];
  }
  const target = consumer.demand - excess;
  const fixes: string[] = [];
  const perInstance = connectionsPerInstance(connections, consumer.poolSize);
  const bound = instanceBound(shape);
  const fitting = largestWhere(bound.value - 1, (n) => instanceCounts(withInstanceBound(shape, n)).peak * perInstance <= target);
  if (fitting !== undefined) {
    fixes.push(`lower the ${bound.name} of '${consumer.input.path}' from ${bound.value} to ${fitting}`);
  }
  const peak = consumer.instances?.peak ?? 0;
  const poolSize = largestWhere(consumer.poolSize - 1, (p) => peak * connectionsPerInstance(connections, p) <= target);
  if (poolSize !== undefined) {
    const which = pool.kind === 'share' ? 'minimum pool' : 'pool';
    fixes.push(`lower its ${which} from ${consumer.poolSize} to ${poolSize}`);
  }
  return fixes;
}

/** A higher MaxConnectionsPercent (when the database has room) or a higher max_connections. */
function capacityFixes(capacity: Capacity, required: number): string[] {
  const fixes: string[] = [];
  const internal = capacity.proxy?.internalConnections ?? 0;
  const throughProxy = capacity.reservedThroughProxy;
  const m = capacity.maxConnections.value;
  const proxy = capacity.proxy;
  if (proxy && !proxy.derived && capacity.limitedBy === 'proxy' && required <= capacity.usable - internal) {
    const percent = smallestWhere(proxy.maxConnectionsPercent + 1, 100, (p) => proxyCeiling(m, p) - throughProxy - internal >= required);
    if (percent !== undefined) {
      fixes.push(`raise the MaxConnectionsPercent of '${proxy.path}' from ${proxy.maxConnectionsPercent} to ${percent}`);
    }
  }
  const held = m - capacity.usable;
  const ceilingAt = (candidate: number) => {
    const usable = candidate - held;
    if (!proxy) {
      return usable;
    }
    const percent = proxy.derived ? deriveMaxConnectionsPercent(candidate, usable, throughProxy) : proxy.maxConnectionsPercent;
    return Math.min(proxyCeiling(candidate, percent) - throughProxy, usable) - internal;
  };
  const needed = smallestUnbounded(m + 1, (candidate) => ceilingAt(candidate) >= required);
  fixes.push(`raise max_connections from ${m} to at least ${needed} (set it in the parameter group, or choose a larger instance class)`);
  return fixes;
}

/** The largest n in [1, upper] with `fits(n)`, for `fits` monotone (true below some point). */
function largestWhere(upper: number, fits: (n: number) => boolean): number | undefined {
  let lo = 1;
  let hi = upper;
  let best: number | undefined;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/** The smallest n in [lower, upper] with `fits(n)`, for `fits` monotone (true above some point). */
function smallestWhere(lower: number, upper: number, fits: (n: number) => boolean): number | undefined {
  let lo = lower;
  let hi = upper;
  let best: number | undefined;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) {
      best = mid;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return best;
}

/** Like smallestWhere without an upper bound: doubles until `fits`, then bisects. */
function smallestUnbounded(lower: number, fits: (n: number) => boolean): number {
  let upper = Math.max(lower, 1);
  while (!fits(upper)) {
    upper *= 2;
  }
  return smallestWhere(lower, upper, fits) ?? upper;
}
