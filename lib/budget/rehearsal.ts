import { LedgerConsumerJson, LedgerJson } from './ledger-schema';

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
}

/** A rehearsal is for PostgreSQL; the ledger's engine must be one. */
export class RehearsalPlanError extends Error {}

/**
 * The rehearsal of a ledger: exactly the worst case it computes, every consumer at its peak instances with
 * full pools, plus every reservation's connections. `poolSizes` replays other pool sizes on the same
 * topology: a consumer's pool from another ledger, or one size for all (the frameworks' defaults).
 */
export function rehearsalPlan(ledger: LedgerJson, poolSizes?: (consumer: LedgerConsumerJson) => number | undefined): RehearsalPlan {
  const capacity = ledger.capacity;
  if (!capacity) {
    throw new RehearsalPlanError(`budget '${ledger.budgetPath}' has no known max_connections; there is nothing to rehearse against.`);
  }
  if (capacity.engine !== 'rds-postgresql' && capacity.engine !== 'aurora-postgresql') {
    throw new RehearsalPlanError(`budget '${ledger.budgetPath}' is for ${capacity.engine}; rehearsals run on PostgreSQL only.`);
  }
  const clients: RehearsalClient[] = ledger.consumers.map((c) => {
    const poolSize = poolSizes?.(c) ?? c.pool.size;
    const perInstance = c.connections.processes * c.connections.poolsPerProcess * (poolSize + c.connections.overflowPerPool);
    return { name: c.path, route: c.route, connections: (c.instances?.peak ?? 0) * perInstance, poolSize };
  });
  for (const r of capacity.reservations) {
    clients.push({ name: `reservation '${r.name}'`, route: r.throughProxy && capacity.proxy ? 'proxy' : 'direct', connections: r.connections });
  }
  return {
    budgetPath: ledger.budgetPath,
    maxConnections: capacity.maxConnections.value,
    superuserReservedConnections: capacity.engineReserve,
    proxyServerConnections: capacity.proxy ? capacity.proxy.ceiling - capacity.proxy.internalConnections : undefined,
    clients: clients.filter((c) => c.connections > 0),
  };
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
