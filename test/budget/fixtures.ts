import {
  buildLedger, BudgetInput, CapacityInput, ConsumerInput, DeploymentModel, evaluateBudget, LedgerInputs, LedgerJson, PoolRequest,
} from '../../lib/budget';

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

/** A Lambda function with `maxConcurrency` environments (undefined: no reserved concurrency). */
export function lambdaFunction(path: string, options: { maxConcurrency?: number; pool?: PoolRequest | number; poolsPerProcess?: number }): ConsumerInput {
  const pool = options.pool ?? 1;
  return {
    path,
    kind: 'lambda-function',
    shape: options.maxConcurrency === undefined ? undefined
      : { kind: 'lambda-function', maxConcurrency: options.maxConcurrency, maxConcurrencyBasis: 'reserved concurrency' },
    unbounded: options.maxConcurrency === undefined ? 'no reserved concurrency' : undefined,
    connections: { processes: 1, poolsPerProcess: options.poolsPerProcess ?? 1, overflowPerPool: 0 },
    pool: typeof pool === 'number' ? { kind: 'fixed', size: pool } : pool,
    unresolved: [],
  };
}

/** A standalone ECS task definition run by a schedule. */
export function ecsTask(path: string, options: { runs: number; tasksPerRun: number; pool?: number; processes?: number; route?: 'proxy' | 'direct' }): ConsumerInput {
  return {
    path,
    kind: 'ecs-task',
    shape: { kind: 'ecs-task', maxConcurrentRuns: options.runs, tasksPerRun: options.tasksPerRun, tasksPerRunBasis: 'EventBridge target task count' },
    connections: { processes: options.processes ?? 1, poolsPerProcess: 1, overflowPerPool: 0 },
    pool: { kind: 'fixed', size: options.pool ?? 5 },
    route: options.route,
    unresolved: [],
  };
}

/** The ledger inputs a budget input implies: resources named after the consumers' paths, the generic DB_POOL_* preset. */
export function inputsOf(input: BudgetInput, acknowledged: readonly string[] = []): LedgerInputs {
  const at = (path: string) => ({ stack: path.split('/')[0], stackName: path.split('/')[0], logicalId: path.replace(/[^A-Za-z0-9]/g, '') });
  const capacity = input.capacity;
  return {
    budget: {
      engine: capacity.engine,
      maxConnections: capacity.maxConnections ?? null,
      warningThresholdPercent: input.warningThresholdPercent,
      database: { kind: 'instance', path: 'Data/Db', resource: at('Data/Db'), securityGroups: [], port: 5432 },
      allocation: null,
      proxy: capacity.proxy ? { path: capacity.proxy.path, resource: at(capacity.proxy.path), securityGroups: [], port: 5432, derivedPercent: capacity.proxy.maxConnectionsPercent === undefined } : null,
      reservations: capacity.reservations.map((r) => ({ name: r.name, connections: r.connections, throughProxy: r.throughProxy === true, clients: [] })),
      acknowledged,
    },
    consumers: new Map(input.consumers.map((c) => [c.path, {
      resource: at(c.path),
      container: c.kind === 'lambda-function' ? null : 'app',
      preset: { framework: 'generic', prefix: 'DB_POOL' } as const,
      minIdleConnections: null,
      acquireTimeoutMs: null,
      bounds: { maxTasks: null, maxConcurrency: null, maxConcurrentRuns: c.shape?.kind === 'ecs-task' ? c.shape.maxConcurrentRuns : null, tasksPerRun: null },
      securityGroups: [],
    }])),
  };
}

/** The ledger of a budget input, every consumer with the generic DB_POOL_* preset. */
export function ledgerOf(input: BudgetInput, acknowledged: readonly string[] = []): LedgerJson {
  return buildLedger(evaluateBudget(input), inputsOf(input, acknowledged));
}
