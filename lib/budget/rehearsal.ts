import { LedgerConsumerJson, LedgerJson } from './ledger-schema';
import { waveDemand } from './waves';

/** Who opens connections in a rehearsal: a consumer at its worst case, or a reservation's clients. */
export interface RehearsalClient {
  /** The consumer's path, or `reservation '<name>'`. */
  readonly name: string;
  /** Through the proxy stand-in, or straight to the database. */
  readonly route: 'proxy' | 'direct';
  /** Connections it opens at once: peak instances × processes × pools × (pool + overflow), or the reservation. */
  readonly connections: number;
  /** The pool size those connections assume (absent for a reservation). */
  readonly poolSize?: number;
}

/** A local database and proxy stand-in shaped like a budget's capacity, and the clients to run against it. */
export interface RehearsalPlan {
  readonly budgetPath: string;
  /** max_connections of the local PostgreSQL. */
  readonly maxConnections: number;
  /** Slots only superusers may use (RDS PostgreSQL: 3 + 2). */
  readonly superuserReservedConnections: number;
  /**
   * Server connections the proxy stand-in may open: the proxy ceiling less the connections RDS Proxy keeps
   * for itself, which the stand-in does not need; undefined without a proxy.
   */
  readonly proxyServerConnections?: number;
  readonly clients: readonly RehearsalClient[];
  /**
   * For a budget that deploys in waves: the service of each chain that surges; every other chained service holds its
   * most tasks. Empty without chains.
   */
  readonly surging: readonly string[];
}

/** A ledger a rehearsal cannot run: another engine, no known max_connections, or numbers it cannot multiply. */
export class RehearsalPlanError extends Error {}

/**
 * The rehearsal of a ledger: exactly the worst case it computes, every consumer at its peak instances with
 * full pools, plus every reservation's connections. `poolSizes` replays other pool sizes on the same
 * topology: a consumer's pool from another ledger, or one size for all (the frameworks' defaults).
 * Services that deploy in waves hold their most tasks, and one service per chain surges: the one with the largest surge
 * at the pool sizes replayed, or `surging` for its chain (one wave of the deployment).
 * Every number it reads must be a whole number: a consumer whose worst case is unknown, or a field that is
 * missing or fractional, fails the plan, naming the consumer and the field, rather than opening less.
 */
export function rehearsalPlan(ledger: LedgerJson, poolSizes?: (consumer: LedgerConsumerJson) => number | undefined, surging?: string): RehearsalPlan {
  const capacity = ledger.capacity;
  if (!capacity) {
    throw new RehearsalPlanError(`budget '${ledger.budgetPath}' has no known max_connections; there is nothing to rehearse against.`);
  }
  if (capacity.engine !== 'rds-postgresql' && capacity.engine !== 'aurora-postgresql') {
    throw new RehearsalPlanError(`budget '${ledger.budgetPath}' is for ${capacity.engine}; rehearsals run on PostgreSQL only.`);
  }
  const problems: string[] = [];
  const whole = (subject: string, field: string, value: unknown, min = 0): number => {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value;
    problems.push(`${subject}: ${field} is ${value === undefined ? 'missing' : JSON.stringify(value)}, not a whole number of at least ${min}`);
    return 0;
  };
  const sized = ledger.consumers.map((c) => {
    const subject = `consumer '${c.path}'`;
    const poolSize = whole(subject, 'pool.size', poolSizes?.(c) ?? c.pool.size);
    const perInstance = whole(subject, 'connections.processes', c.connections.processes)
      * whole(subject, 'connections.poolsPerProcess', c.connections.poolsPerProcess)
      * (poolSize + whole(subject, 'connections.overflowPerPool', c.connections.overflowPerPool));
    if (c.instances === null) problems.push(`${subject}: instances is null, so its worst case is unknown`);
    const peak = c.instances === null ? 0 : whole(subject, 'instances.peak', c.instances?.peak);
    const steady = c.instances === null ? 0 : whole(subject, 'instances.steady', c.instances?.steady);
    return { consumer: c, poolSize, demand: peak * perInstance, steadyDemand: steady * perInstance };
  });
  const chains = waveDemand(sized.map((s) => ({ path: s.consumer.path, demand: s.demand, steadyDemand: s.steadyDemand, wave: s.consumer.wave ?? undefined }))).chains;
  if (surging !== undefined && !chains.some((chain) => chain.services.includes(surging))) {
    throw new RehearsalPlanError(`budget '${ledger.budgetPath}' deploys no service '${surging}' in waves; `
      + (chains.length === 0 ? 'it deploys every service at once (deployInWaves is off), so every service surges.'
        : `its chained services are ${chains.flatMap((chain) => chain.services).map((service) => `'${service}'`).join(', ')}.`));
  }
  const surgingServices = chains.flatMap((chain) => {
    const chosen = surging !== undefined && chain.services.includes(surging) ? surging : chain.largest?.service;
    return chosen === undefined ? [] : [chosen];
  });
  const clients: RehearsalClient[] = sized.map(({ consumer: c, poolSize, demand, steadyDemand }) => {
    const atSteady = c.wave && !surgingServices.includes(c.wave.service);
    return { name: c.path, route: c.route, connections: atSteady ? steadyDemand : demand, poolSize };
  });
  for (const r of capacity.reservations) {
    clients.push({ name: `reservation '${r.name}'`, route: r.throughProxy && capacity.proxy ? 'proxy' : 'direct', connections: whole(`reservation '${r.name}'`, 'connections', r.connections) });
  }
  const plan: RehearsalPlan = {
    budgetPath: ledger.budgetPath,
    maxConnections: whole('capacity', 'maxConnections.value', capacity.maxConnections.value, 1),
    superuserReservedConnections: whole('capacity', 'engineReserve', capacity.engineReserve),
    // A ceiling below what the proxy keeps for itself leaves its clients nothing, never a negative number (which a stand-in could read as no limit).
    proxyServerConnections: capacity.proxy
      ? Math.max(0, whole('capacity', 'proxy.ceiling', capacity.proxy.ceiling) - whole('capacity', 'proxy.internalConnections', capacity.proxy.internalConnections))
      : undefined,
    clients: clients.filter((c) => c.connections > 0),
    surging: surgingServices,
  };
  if (problems.length > 0) {
    throw new RehearsalPlanError(`budget '${ledger.budgetPath}' cannot be rehearsed: ${problems.join('; ')}. A rehearsal opens every `
      + 'consumer\'s worst case from these numbers: fix the budget\'s errors (connection-budget report lists them), or synthesize the app '
      + 'again with this library version if the ledger was damaged or edited.');
  }
  return plan;
}

/** What one client's connections did. */
export interface ClientOutcome {
  readonly name: string;
  readonly route: 'proxy' | 'direct';
  readonly requested: number;
  readonly opened: number;
  readonly refused: number;
  readonly timedOut: number;
  /** Milliseconds from connect to the first query's answer, of the opened connections. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The distinct error messages, for the report. */
  readonly errors: readonly string[];
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
