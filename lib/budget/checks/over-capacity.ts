import { Capacity, computeCapacity, ENGINE_NAMES, estimateMaxConnections, proxyCeiling } from '../capacity';
import {
  SERVERLESS_V2_MAX_CONNECTIONS, SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_ACU, SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_CAP,
} from '../data/instance-classes';
import { connectionsPerInstance, instanceBound, instanceCounts, rollingPeak, withInstanceBound } from '../demand';
import { ceilingName, describeAllocation, describeCeiling, describeDemand, sentence } from '../describe';
import { MAX_SETTABLE_MAX_CONNECTIONS } from '../limits';
import { ConsumerResult } from '../model';
import { compareText, listOf } from '../text';
import { waveDemand } from '../waves';
import { Check, CheckContext, Finding } from './check';

/** A rolling deployment needs room for at least its running tasks (SOURCES.ecsDeploymentConfiguration). */
const MIN_ROLLING_MAXIMUM_PERCENT = 100;

/** The minimum capacity a fix proposes to lift the low-minimum cap: capacity comes in half-ACU steps, and 1 is the first whole one above 0.5 (SOURCES.auroraServerlessV2Capacity). */
const SERVERLESS_V2_LOWEST_UNCAPPED_MINIMUM_ACU = 1;

/** How many consumers the message lists. */
const LARGEST_CONSUMERS_SHOWN = 3;

export const overCapacity: Check = {
  id: 'CB-OVER-CAPACITY',
  level: 'error',
  summary: 'Worst-case demand exceeds what the proxy and the database can hold.',
  explanation:
    'When every consumer reaches its worst case at once (a deployment of every service, autoscaling at its maximum), '
    + 'the database or RDS Proxy refuses connections and the platform goes down although the database is healthy.',
  onePerSubject: true,
  run: (context) => {
    const { capacity, totals } = context;
    // With reservations above max_connections there is nothing to share; CB-RESERVATIONS-EXCEED-CAPACITY says why.
    // A stand-in allocation has no ceiling to exceed; CB-ALLOCATION-NOT-LOOKED-UP says so.
    if (!capacity || capacity.usable < 0 || totals.required <= capacity.effectiveCeiling || capacity.allocation?.pending) {
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
    .sort((a, b) => b.demand - a.demand || compareText(a.input.path, b.input.path))
    .slice(0, LARGEST_CONSUMERS_SHOWN);
  const demandText = hasShares ? `worst-case demand ${required} (every derived pool at its minimum)` : `worst-case demand ${required}`;
  // CloudFormation updates sibling resources in parallel (SOURCES.cloudFormationParallelUpdates).
  const chained = context.totals.chains.length > 0;
  const when = chained
    ? `Chained services surge one at a time (deploying in waves saves ${context.totals.uncreditedDemand - context.totals.demand}), every other consumer can peak at once`
    : 'Every consumer can peak at once (CloudFormation deploys services in parallel)';
  const largestText = largest.length > 0 ? ` ${when}; largest: ${largest.map(describeDemand).join('; ')}.` : '';
  const fixes = [
    ...(largest[0] ? consumerFixes(largest[0], wouldFit(context, capacity.effectiveCeiling)) : []),
    ...capacityFixes(context, capacity, required),
  ];
  return {
    subject: context.path,
    message: `${demandText} exceeds the ${ceilingName(capacity)} ${capacity.effectiveCeiling} by ${excess}: ${describeCeiling(capacity)}.${largestText}`,
    fix: sentence(listOf(fixes, 'or')),
  };
}

/** Whether the budget would fit with one consumer at other instance counts or another pool: its worst case and steady demand. */
type WouldFit = (consumer: ConsumerResult, demand: number, steadyDemand: number) => boolean;

/** The required connections with one consumer's figures replaced, against the ceiling; a chain's largest surge may move to another service. */
function wouldFit(context: CheckContext, ceiling: number): WouldFit {
  const shared = context.consumers.filter((c) => !c.direct);
  const item = (c: ConsumerResult) => ({ path: c.input.path, demand: c.demand, steadyDemand: c.steadyDemand, wave: c.input.wave });
  const others = context.totals.required - waveDemand(shared.map(item)).demand;
  return (consumer, demand, steadyDemand) => others
    + waveDemand(shared.map((c) => (c === consumer ? { ...item(c), demand, steadyDemand } : item(c)))).demand <= ceiling;
}

/** Smaller task bound or pool for one consumer that would make the budget fit. */
function consumerFixes(consumer: ConsumerResult, fits: WouldFit): string[] {
  const { shape, connections, pool } = consumer.input;
  if (!shape) {
    return [];
  }
  const fixes: string[] = [];
  const perInstance = connectionsPerInstance(connections, consumer.poolSize);
  const bound = instanceBound(shape);
  const fitsWith = (counts: { peak: number; steady: number }, perTask: number) => fits(consumer, counts.peak * perTask, counts.steady * perTask);
  const fitting = largestWhere(bound.value - 1, (n) => fitsWith(instanceCounts(withInstanceBound(shape, n)), perInstance));
  if (fitting !== undefined) {
    fixes.push(`lower the ${bound.name} of '${consumer.input.path}' from ${bound.value} to ${fitting}`);
  }
  if (shape.kind === 'ecs-service' && shape.deployment.kind === 'rolling' && shape.deployment.maximumPercent > MIN_ROLLING_MAXIMUM_PERCENT) {
    // The surge is part of the worst case: a smaller maximum percent deploys with fewer extra tasks (and more slowly).
    const percent = largestWhere(shape.deployment.maximumPercent - 1,
      (p) => fitsWith({ peak: rollingPeak(shape.maxTasks, Math.max(p, MIN_ROLLING_MAXIMUM_PERCENT)), steady: shape.maxTasks }, perInstance));
    if (percent !== undefined && percent >= MIN_ROLLING_MAXIMUM_PERCENT) {
      // The round figure with the same peak: 180 rather than 189 for 10 tasks.
      const round = Math.max(MIN_ROLLING_MAXIMUM_PERCENT, Math.ceil((rollingPeak(shape.maxTasks, percent) * 100) / shape.maxTasks));
      fixes.push(`lower its deployment surge, the maximum healthy percent (maxHealthyPercent), from ${shape.deployment.maximumPercent} to ${round}`);
    }
  }
  const counts = consumer.instances ?? { peak: 0, steady: 0 };
  const poolSize = largestWhere(consumer.poolSize - 1, (p) => fitsWith(counts, connectionsPerInstance(connections, p)));
  if (poolSize !== undefined) {
    const which = pool.kind === 'share' ? 'minimum pool' : 'pool';
    fixes.push(`lower its ${which} from ${consumer.poolSize} to ${poolSize}`);
  }
  return fixes;
}

/** A higher MaxConnectionsPercent (when the database has room), a higher max_connections, or a higher max_user_connections. */
function capacityFixes(context: CheckContext, capacity: Capacity, required: number): string[] {
  if (capacity.allocation) {
    const { allocation } = capacity;
    const needed = allocation.connections + required - capacity.effectiveCeiling;
    return [`ask the owners of '${allocation.budgetPath}' to raise ${describeAllocation(allocation)} from ${allocation.connections} to at least ${needed} `
      + `(its connections in addAllocation), then refresh this app's cached record`];
  }
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
  // The same capacity with another max_connections: reserve, reservations, direct clients and proxy settings stay.
  const inputs = { ...context.input.capacity, directDemand: capacity.directDemand };
  const ceilingAt = (candidate: number) => computeCapacity(inputs, { ...capacity.maxConnections, value: candidate }).effectiveCeiling;
  const largest = MAX_SETTABLE_MAX_CONNECTIONS[capacity.engine];
  const needed = m < largest ? smallestWhere(m + 1, largest, (candidate) => ceilingAt(candidate) >= required) : undefined;
  const serverlessSizing = serverlessV2Sizing(context, capacity);
  const serverless = serverlessSizing && serverlessFix(capacity, serverlessSizing, ceilingAt, required);
  if (serverless !== undefined) {
    fixes.push(serverless);
  } else if (needed !== undefined) {
    fixes.push(`raise max_connections from ${m} to at least ${needed} (${maxConnectionsKnob(capacity)})`);
  } else if (capacity.userConnectionLimit !== undefined && capacity.userConnectionLimit < m - capacity.engineReserve) {
    fixes.push(`raise max_user_connections from ${capacity.userConnectionLimit} in the parameter group (it caps every ordinary connection of one account)`);
  } else {
    fixes.push(`lower the demand: even the largest max_connections ${ENGINE_NAMES[capacity.engine]} accepts (${largest}) does not hold it`);
  }
  return fixes;
}

/** Where max_connections is set, for the fix that raises it. */
function maxConnectionsKnob(capacity: Capacity): string {
  if (capacity.proxy?.derived) {
    // Only BudgetedDatabase derives the proxy's percent; it owns the proxy and writes max_connections itself.
    return `the maxConnections of the BudgetedDatabase '${parentPath(capacity.proxy.path)}'`;
  }
  switch (capacity.maxConnections.source) {
    case 'parameter-group':
      return `set it in the ${capacity.maxConnections.basis}`;
    case 'budget-property':
      return 'set it in the database\'s parameter group, then in the budget\'s maxConnections';
    case 'serverless-v2-table':
      return 'raise the cluster\'s maximum capacity, or set max_connections in its parameter group';
    default:
      return 'set it in the parameter group, or choose a larger instance class';
  }
}

/** A Serverless v2 capacity that max_connections follows, and how a fix names its settings. */
interface ServerlessV2Sizing {
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
  readonly minimumName: string;
  readonly maximumName: string;
  /** Whose capacity it is: `for 'Data/Cluster/writer'`. */
  readonly owner: string;
}

/**
 * The Serverless v2 capacity behind max_connections: an instance sized by the published table, or a BudgetedDatabase
 * that wrote the published value into its parameter group (named by its props). Undefined when max_connections does not
 * follow a capacity, among them a parameter group changed after the BudgetedDatabase wrote it.
 */
function serverlessV2Sizing(context: CheckContext, capacity: Capacity): ServerlessV2Sizing | undefined {
  const engine = capacity.engine;
  const m = capacity.maxConnections;
  if (m.source === 'serverless-v2-table') {
    const instance = context.input.capacity.instances.find((i) => i.sizing?.kind === 'serverless-v2' && estimateMaxConnections(engine, i.sizing)?.value === m.value);
    if (instance?.sizing?.kind !== 'serverless-v2') return undefined;
    const { minCapacityAcu, maxCapacityAcu } = instance.sizing;
    return { minCapacityAcu, maxCapacityAcu, minimumName: 'its minimum capacity', maximumName: 'its maximum capacity', owner: `for '${instance.path}'` };
  }
  const written = context.input.capacity.serverlessV2Default;
  if (!written || m.source !== 'parameter-group') return undefined;
  const { minCapacityAcu, maxCapacityAcu } = written;
  if (estimateMaxConnections(engine, { kind: 'serverless-v2', minCapacityAcu, maxCapacityAcu })?.value !== m.value) return undefined;
  return {
    minCapacityAcu, maxCapacityAcu,
    minimumName: 'its serverlessV2MinCapacityAcu', maximumName: 'its serverlessV2MaxCapacityAcu', owner: `for the BudgetedDatabase '${written.path}'`,
  };
}

/**
 * The smallest maximum capacity whose published row holds the demand, with the minimum raised above the low-minimum cap
 * when that cap is what limits.
 */
function serverlessFix(capacity: Capacity, sizing: ServerlessV2Sizing, ceilingAt: (m: number) => number, required: number): string | undefined {
  const engine = capacity.engine;
  const minimums = [sizing.minCapacityAcu, ...(sizing.minCapacityAcu <= SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_ACU ? [SERVERLESS_V2_LOWEST_UNCAPPED_MINIMUM_ACU] : [])];
  for (const minCapacityAcu of minimums) {
    for (const row of SERVERLESS_V2_MAX_CONNECTIONS.filter((r) => r.maxCapacityAcu >= sizing.maxCapacityAcu && r.maxCapacityAcu >= minCapacityAcu)) {
      const value = estimateMaxConnections(engine, { kind: 'serverless-v2', minCapacityAcu, maxCapacityAcu: row.maxCapacityAcu })?.value ?? 0;
      if (value <= capacity.maxConnections.value || ceilingAt(value) < required) continue;
      const raises = [
        ...(minCapacityAcu === sizing.minCapacityAcu ? [] : [`${sizing.minimumName} from ${sizing.minCapacityAcu} ACU to ${minCapacityAcu} ACU `
          + `(at ${SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_ACU} ACU or less Aurora PostgreSQL caps max_connections at ${SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_CAP})`]),
        ...(row.maxCapacityAcu === sizing.maxCapacityAcu ? [] : [`${sizing.maximumName} from ${sizing.maxCapacityAcu} ACU to ${row.maxCapacityAcu} ACU`]),
      ];
      return `raise ${raises.join(' and ')} ${sizing.owner} (max_connections ${capacity.maxConnections.value} → ${value}, the published row for ${row.maxCapacityAcu} ACU)`;
    }
  }
  return undefined;
}

function parentPath(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : path;
}

/** The largest n in [1, upper] with `fits(n)`, for `fits` monotone (true below some point). */
function largestWhere(upper: number, fits: (n: number) => boolean): number | undefined {
  let lo = 1;
  // Above 2^53 whole numbers are no longer exact, and no count the budget plans with comes near.
  let hi = Math.min(upper, Number.MAX_SAFE_INTEGER);
  let best: number | undefined;
  while (lo <= hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
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
  let hi = Math.min(upper, Number.MAX_SAFE_INTEGER);
  let best: number | undefined;
  while (lo <= hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (fits(mid)) {
      best = mid;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return best;
}
