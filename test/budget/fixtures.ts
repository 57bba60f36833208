import { BudgetInput, CapacityInput, ConsumerInput, DeploymentModel, PoolRequest } from '../../lib/budget';

/** An ECS service consumer with sensible defaults: rolling 200 %, one process, one pool. */
export function ecsService(path: string, options: {
  maxTasks: number;
  pool?: PoolRequest | number;
  deployment?: DeploymentModel;
  processes?: number;
  poolsPerProcess?: number;
  overflowPerPool?: number;
  maxTasksBasis?: string;
}): ConsumerInput {
  const pool = options.pool ?? 10;
  return {
    path,
    kind: 'ecs-service',
    shape: {
      kind: 'ecs-service',
      maxTasks: options.maxTasks,
      maxTasksBasis: options.maxTasksBasis ?? 'autoscaling maximum',
      deployment: options.deployment ?? { kind: 'rolling', maximumPercent: 200 },
    },
    connections: { processes: options.processes ?? 1, poolsPerProcess: options.poolsPerProcess ?? 1, overflowPerPool: options.overflowPerPool ?? 0 },
    pool: typeof pool === 'number' ? { kind: 'fixed', size: pool } : pool,
    unresolved: [],
  };
}

/** RDS for PostgreSQL with max_connections from a parameter group, behind a proxy at `percent`. */
export function postgresBehindProxy(maxConnections: number, percent: number, extra: Partial<CapacityInput> = {}): CapacityInput {
  return {
    engine: 'rds-postgresql',
    instances: [{ path: 'Data/Db', parameterGroupMaxConnections: maxConnections, parameterGroupPath: 'Data/Params' }],
    reservations: [],
    proxy: { path: 'Data/Proxy', maxConnectionsPercent: percent, targetsDatabase: true },
    ...extra,
  };
}

export function budget(capacity: CapacityInput, consumers: ConsumerInput[], extra: Partial<BudgetInput> = {}): BudgetInput {
  return { path: 'Data/Budget', capacity, consumers, warningThresholdPercent: 90, unresolved: [], ...extra };
}
