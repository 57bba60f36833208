import { BudgetEvaluation } from './model';

/**
 * Share of max_connections at which the database's connections alarm: 80 %, the level the incident
 * reviews this library answers ask to be warned at. AWS publishes no number for it (aws-limits.md §5);
 * it leaves a fifth of the database for the surge that follows.
 */
export const DEFAULT_DATABASE_CONNECTIONS_PERCENT = 80;

/**
 * Share of the proxy's MaxDatabaseConnectionsAllowed in use at which it alarms. AWS names the ratio
 * DatabaseConnections / MaxDatabaseConnectionsAllowed as the one to watch (SOURCES.rdsProxyConnections)
 * and gives no level; 90 % leaves the proxy room to borrow while someone looks.
 */
export const DEFAULT_PROXY_CONNECTIONS_PERCENT = 90;

/**
 * Borrow latency (average, microseconds) above which clients wait for the proxy's connections: the pool
 * is exhausted and requests queue up to the borrow timeout. AWS names the metric for this purpose
 * (SOURCES.rdsProxyConnections) without a level; 100 ms is a queue no healthy pool shows.
 */
export const DEFAULT_BORROW_LATENCY_MICROSECONDS = 100_000;

/**
 * Share of the proxy's allowed connections pinned to one client session at which it alarms: pinned
 * connections are not multiplexed, so past a quarter of them the proxy no longer shields the database
 * from the clients' own pool sizes (prior-art-and-pool-conventions.md §10).
 */
export const DEFAULT_PINNED_CONNECTIONS_PERCENT = 25;

/** Minutes a threshold must be crossed before an alarm fires: long enough to skip one deploy's spike. */
export const DEFAULT_EVALUATION_MINUTES = 5;

/** The levels monitoring compares real usage with, from the evaluated budget. */
export interface MonitoringLevels {
  readonly maxConnections: number;
  /** DatabaseConnections at or above this alarms. */
  readonly databaseConnectionsAlarm: number;
  /**
   * Database connections the budget plans for at worst: consumers that share the ceiling, RDS Proxy's own,
   * direct consumers and every reservation.
   */
  readonly budgetedDatabasePeak: number;
  /** Client connections to the proxy the budget plans for at worst: its consumers plus reservations through it; absent without a proxy. */
  readonly budgetedClientPeak?: number;
}

/** Undefined when max_connections is unknown: there is nothing to compare usage with (synth fails then anyway). */
export function monitoringLevels(evaluation: BudgetEvaluation, databaseConnectionsPercent: number): MonitoringLevels | undefined {
  const capacity = evaluation.capacity;
  if (!capacity) {
    return undefined;
  }
  const { totals } = evaluation;
  const proxyOwn = capacity.proxy ? capacity.proxy.internalConnections : 0;
  return {
    maxConnections: capacity.maxConnections.value,
    databaseConnectionsAlarm: Math.ceil((capacity.maxConnections.value * databaseConnectionsPercent) / 100),
    budgetedDatabasePeak: totals.demand + proxyOwn + totals.directDemand + capacity.reservedTotal,
    budgetedClientPeak: capacity.proxy ? totals.demand + capacity.reservedThroughProxy : undefined,
  };
}
