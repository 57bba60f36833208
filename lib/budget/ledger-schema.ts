import { EngineKind, MaxConnectionsSource, ServerlessV2Default } from './capacity';
import { ConsumerKind, ConsumerShape, InstanceBound } from './demand';
import { PoolSettings } from './pool-settings';
import { PresetSpec } from './presets';
import { ProblemLevel } from './model';

/**
 * The ledger: one budget as plain JSON, written into the template Metadata of the budget's stack and read by
 * the connection-budget CLI and the synth-time verification. It is a public contract: a field is only ever
 * added in a new schemaVersion, and readers say which versions they read. Every field is documented here and
 * in docs/ledger-schema.md, which a test keeps in step.
 *
 * Version 2 adds `inputs`: what the templates cannot say (the pool requests, the presets, the bounds given at
 * registration, where each consumer's resources are). With them every figure of the ledger can be re-derived
 * from the templates, so readers never trust the stored figures.
 *
 * Version 3 adds budgets built from another app's allocation: `inputs.allocation`, with `inputs.database` null.
 *
 * Version 4 adds deploying in waves (`inputs.waves`, each consumer's `wave`, `totals.uncreditedDemand` and
 * `totals.chains`) and the start-up storm of a deployment (`startup`). A version 3 ledger reads as one without waves.
 */
export const LEDGER_SCHEMA = 'cdk-connection-budget/ledger';
export const LEDGER_SCHEMA_VERSION = 4;
/** The last version without waves; read as version 4 without them. */
export const LEDGER_SCHEMA_VERSION_WITHOUT_WAVES = 3;
/** The first version with inputs; read as version 3 without allocations. */
export const LEDGER_SCHEMA_VERSION_WITH_INPUTS = 2;
/** The first version: no inputs, so its figures can be read as a diff's base but not verified. */
export const LEDGER_SCHEMA_VERSION_WITHOUT_INPUTS = 1;

/** One computed budget. Unknown values are `null`, never absent. */
export interface LedgerJson {
  /** Always `cdk-connection-budget/ledger`. */
  readonly schema: typeof LEDGER_SCHEMA;
  /** 4 for this layout (3: without waves; 2: without allocations; 1: without `inputs`). */
  readonly schemaVersion: number;
  /** Construct path of the ConnectionBudget; unique in an app and the key a diff matches budgets on. */
  readonly budgetPath: string;
  /** What the budget was given that the templates cannot say; null in a version 1 ledger. */
  readonly inputs: LedgerInputsJson | null;
  /** From max_connections to the ceiling the consumers share; null when max_connections is unknown. */
  readonly capacity: LedgerCapacityJson | null;
  /** Every registered consumer, sorted by path. */
  readonly consumers: readonly LedgerConsumerJson[];
  readonly totals: LedgerTotalsJson;
  /** The budget's errors and warnings, errors first. */
  readonly problems: readonly LedgerProblemJson[];
  /** What a deployment's new tasks open at start; null in ledgers before version 4. */
  readonly startup: LedgerStartupJson | null;
}

/** The start-up storm: connections the new tasks of a deployment open as their processes start. */
export interface LedgerStartupJson {
  /** Every ECS service consumer through the shared ceiling, sorted by path. */
  readonly consumers: ReadonlyArray<{
    readonly path: string;
    /** Tasks a deployment starts: the most tasks (a deployment replaces every task). */
    readonly newTasks: number;
    /** Connections each pool opens at start: its minimum idle, or the whole pool when the preset delivers none. */
    readonly perPool: number;
    /** newTasks × processes × pools × perPool. */
    readonly connections: number;
    /** Where perPool comes from: `minimum idle 1 (Spring Boot with HikariCP)`. */
    readonly basis: string;
    /** The preset's framework. */
    readonly framework: PresetSpec['framework'];
    /** Whether the preset delivers a minimum idle; when not, the whole pool is counted. */
    readonly minIdleDelivered: boolean;
  }>;
  /** The most connections opened at start at once: every service together, or with waves one service per chain and every unchained one. */
  readonly largestDeployment: {
    readonly connections: number;
    /** The consumers that make it up, sorted by path. */
    readonly consumers: readonly string[];
  };
}

/** The services the budget chained to deploy one at a time, in the order it chained them. */
export interface LedgerWavesJson {
  readonly services: ReadonlyArray<{
    /** Construct path of the ECS service. */
    readonly path: string;
    readonly resource: LedgerResourceJson;
  }>;
}

/** Where a resource is in the templates. */
export interface LedgerResourceJson {
  /** Construct path of the stack (the cloud assembly's display name). */
  readonly stack: string;
  /** CloudFormation name of the stack (the file name of an exported template). */
  readonly stackName: string;
  readonly logicalId: string;
}

/** A security group ID, or an address peer (`{ CidrIp }`, `{ CidrIpv6 }`, `{ SourcePrefixListId }`), as a stack renders it. */
export interface LedgerSourceJson {
  readonly stack: string;
  readonly stackName: string;
  readonly value: unknown;
}

/** The proxy or the database: what only budgeted clients may reach. */
export interface LedgerTargetJson {
  /** Construct path. */
  readonly path: string;
  /** The resource in the templates: a DBInstance, DBCluster or DBProxy; null for an imported database. */
  readonly resource: LedgerResourceJson | null;
  /** Its security groups as the app knows them (the templates may add more). */
  readonly securityGroups: readonly LedgerSourceJson[];
  /** The port clients connect to; null when unknown until deploy. */
  readonly port: number | null;
}

/** The budget's inputs that the templates cannot say. */
export interface LedgerInputsJson {
  readonly engine: EngineKind;
  /** The budget's maxConnections property (a claim the templates are checked against); null when not given. */
  readonly maxConnections: number | null;
  readonly warningThresholdPercent: number;
  /** An RDS DB instance or an Aurora cluster; null for a budget built from an allocation, whose database is another app's. */
  readonly database: (LedgerTargetJson & { readonly kind: 'instance' | 'cluster' }) | null;
  /** The allocation of another app's budget this budget was built from (ConnectionBudget.fromAllocation); null otherwise. */
  readonly allocation: LedgerAllocationJson | null;
  /** The RDS Proxy; null without one. */
  readonly proxy: (LedgerTargetJson & {
    /** Whether the budget derives MaxConnectionsPercent (BudgetedDatabase). */
    readonly derivedPercent: boolean;
  }) | null;
  /** Named reservations and the clients that use them. */
  readonly reservations: ReadonlyArray<{
    readonly name: string;
    readonly connections: number;
    readonly throughProxy: boolean;
    readonly clients: readonly LedgerSourceJson[];
    /** Present and true for the connections of the cluster's RDS Data API. */
    readonly dataApi?: boolean;
    /** Present for an allocation granted as a weighted share: `connections` is what it resolved to. */
    readonly share?: { readonly weight: number; readonly min: number; readonly max: number };
    /** Present for an allocation with a database user of its own, whose connection limit is `connections`. */
    readonly databaseUser?: string;
  }>;
  /** Warning IDs acknowledged in the app, sorted. */
  readonly acknowledged: readonly string[];
  /** The chain of the budget's deployInWaves, checked against the templates' DependsOn and stack dependencies; null without waves (and before version 4). */
  readonly waves?: LedgerWavesJson | null;
  /**
   * Present when a BudgetedDatabase wrote Aurora Serverless v2's published max_connections for its capacity (it was given
   * no maxConnections): its path and capacity in ACUs, so a fix raises the capacity. Absent from ledgers of earlier releases.
   */
  readonly serverlessV2Default?: ServerlessV2Default;
}

/** The allocation a team's budget was built from, as this app synthesized it. */
export interface LedgerAllocationJson {
  /** Construct path of the owning budget, in its app. */
  readonly budgetPath: string;
  /** The allocation's name. */
  readonly name: string;
  /** The connections granted: the team budget's ceiling before its own reservations. */
  readonly connections: number;
  /** Where the figure came from, in words. */
  readonly basis: string;
  /** `lookup` (the SSM record, through CDK's context lookup) or `attributes` (given in code). */
  readonly source: 'lookup' | 'attributes';
  /** True when the lookup has not run yet and the synth used CDK's dummy value: nothing of this ledger is real. */
  readonly pending: boolean;
  /** Whether the app deploys the guard that checks the live record (Custom::ConnectionBudgetAllocationGuard). */
  readonly deployTimeCheck: boolean;
  /** The SSM parameter of the record, at its documented name (also for attributes, where a guard would read it). */
  readonly parameterName: string;
  /** The client security group the owning app created; the team's consumers are placed in it. */
  readonly clientSecurityGroupId: string;
  /** The owning proxy's port. */
  readonly port: number;
  /** How long the owning proxy keeps an idle client connection. */
  readonly proxyIdleClientTimeoutSeconds: number;
  /**
   * The allocation's own database user, which every consumer of the team connects as and the database refuses past the
   * allocation; null when the owning database gives it none; absent in ledgers written before it.
   */
  readonly databaseUser?: string | null;
}

/** The capacity breakdown. */
export interface LedgerCapacityJson {
  readonly engine: EngineKind;
  readonly maxConnections: {
    readonly value: number;
    /** budget-property, parameter-group, aurora-class-table, serverless-v2-table, memory-estimate or allocation (the connections granted). */
    readonly source: MaxConnectionsSource;
    /** What the value was read from: a parameter group path, an instance class. */
    readonly basis: string;
  };
  /** Slots the engine keeps for superusers and AWS automation. */
  readonly engineReserve: number;
  /** The parameters behind a reserve above the engine's default; null at the default. */
  readonly engineReserveBasis: string | null;
  /** MySQL max_user_connections when the parameter group sets it; null otherwise. */
  readonly userConnectionLimit: number | null;
  /** Named reservations, sorted by name. */
  readonly reservations: ReadonlyArray<{ readonly name: string; readonly connections: number; readonly throughProxy: boolean }>;
  readonly reservedTotal: number;
  readonly reservedThroughProxy: number;
  /** Worst case of the consumers that bypass the proxy. */
  readonly directDemand: number;
  /** min(max_connections − engine reserve, max_user_connections) − reservations − direct demand. */
  readonly usable: number;
  /** The RDS Proxy in front of the database; null without one. */
  readonly proxy: {
    readonly path: string;
    readonly maxConnectionsPercent: number;
    /** Whether the budget derived MaxConnectionsPercent (and wrote it into the proxy's target group). */
    readonly derived: boolean;
    /** floor(max_connections × MaxConnectionsPercent / 100). */
    readonly ceiling: number;
    /** Connections RDS Proxy is assumed to keep for itself. */
    readonly internalConnections: number;
  } | null;
  /** What the consumers that share it may use at most: the effective ceiling. */
  readonly ceiling: number;
  /** `proxy` or `database`: which of the two limits the ceiling; `allocation` for a budget built from one. */
  readonly limitedBy: 'proxy' | 'database' | 'allocation';
  /** The arithmetic in words, as synth messages print it. */
  readonly explanation: string;
}

/** One consumer: how its worst case arises and what it was given. */
export interface LedgerConsumerJson {
  /** Construct path of the service, task definition or function. */
  readonly path: string;
  /** ecs-service, ecs-task or lambda-function. */
  readonly kind: ConsumerKind;
  /** `proxy`, or `direct` for a consumer that bypasses the proxy. */
  readonly route: 'proxy' | 'direct';
  /** What the consumer was given that the templates cannot say; absent in a version 1 ledger. */
  readonly inputs?: LedgerConsumerInputsJson;
  /** The deployed shape as read from the template (task bound and deployment model, concurrency, runs); null when a value is unknown. */
  readonly shape: ConsumerShape | null;
  /** The knob that bounds the consumer's instances, and its value; null when the shape is unknown. */
  readonly bound: InstanceBound | null;
  /** Instances holding connections in steady state and at the worst case; null when the shape is unknown. */
  readonly instances: { readonly steady: number; readonly peak: number; readonly explanation: string } | null;
  /** Multipliers per instance. */
  readonly connections: { readonly processes: number; readonly poolsPerProcess: number; readonly overflowPerPool: number };
  readonly pool: {
    /** What the consumer asked for: `{ kind: 'fixed', size }` or `{ kind: 'share', weight, min, max }`. */
    readonly request: PoolRequestJson;
    /** The pool maximum delivered. */
    readonly size: number;
  };
  /** The settings delivered with the pool size (maxSize, minIdle, maxOverflow and the timeouts in ms) and the variables that carry them. */
  readonly poolSettings: PoolSettings & {
    /** The preset: generic, spring-boot-hikari, sqlalchemy, rails, node-postgres, pgx, npgsql, prisma or custom. */
    readonly framework: PresetSpec['framework'];
    /** Environment variable name → value, as delivered. */
    readonly variables: Readonly<Record<string, string>>;
  };
  /** processes × pools × (pool + overflow). */
  readonly connectionsPerInstance: number;
  /** Worst case: peak instances × connections per instance. */
  readonly demand: number;
  /** Steady instances × connections per instance. */
  readonly steadyDemand: number;
  /** The chain the consumer's service deploys in, as the templates order it; null when not chained (and before version 4). */
  readonly wave?: { readonly chain: string; readonly service: string } | null;
}

/** A consumer's pool request: a fixed size, or a weighted share of what is left, within bounds. */
export type PoolRequestJson = { readonly kind: 'fixed'; readonly size: number } | { readonly kind: 'share'; readonly weight: number; readonly min: number; readonly max: number };

/** A consumer's inputs that the templates cannot say. */
export interface LedgerConsumerInputsJson {
  /** The service, task definition or function in the templates. */
  readonly resource: LedgerResourceJson;
  /** The container that receives the pool settings; null for a function. */
  readonly container: string | null;
  /** The preset the variables follow, with its prefix or names. */
  readonly preset: PresetSpec;
  /** minIdleConnections as given; null for the default. */
  readonly minIdleConnections: number | null;
  /** acquireTimeout in milliseconds as given; null for the default. */
  readonly acquireTimeoutMs: number | null;
  /** Bounds given at registration, null where not given. */
  readonly bounds: {
    readonly maxTasks: number | null;
    readonly maxConcurrency: number | null;
    readonly maxConcurrentRuns: number | null;
    readonly tasksPerRun: number | null;
  };
  /** The security groups it was registered with, which got ingress to the proxy or database. */
  readonly securityGroups: readonly LedgerSourceJson[];
  /**
   * The consumer's own database user, whose connection limit is the consumer's worst case (demand); null when its
   * database gives it none; absent before schema 3 gained it.
   */
  readonly databaseUser?: string | null;
}

/** Budget totals; capacity-dependent figures are null when max_connections is unknown. */
export interface LedgerTotalsJson {
  /** Worst case of the consumers that share the ceiling, with the credit of deploying in waves. */
  readonly demand: number;
  /** The same consumers each at its peak, as if every service deployed at once; absent before version 4 (then equal to demand). */
  readonly uncreditedDemand?: number;
  /** Each chain of services deploying one at a time, and the service whose surge counts; absent before version 4. */
  readonly chains?: ReadonlyArray<{
    /** Its first service's path. */
    readonly chain: string;
    readonly services: readonly string[];
    /** The largest surge extra (peak − steady connections) of one service; null when none surges. */
    readonly largest: { readonly service: string; readonly connections: number } | null;
  }>;
  readonly directDemand: number;
  readonly steadyDemand: number;
  /** Fixed pools plus every derived pool at its minimum. */
  readonly required: number;
  readonly ceiling: number | null;
  /** ceiling − demand. */
  readonly headroom: number | null;
  /** 100 × demand / ceiling, rounded to one decimal. */
  readonly utilizationPercent: number | null;
}

/** A finding of the budget's checks. */
export interface LedgerProblemJson {
  /** Stable check ID: CB-OVER-CAPACITY. */
  readonly id: string;
  readonly level: ProblemLevel;
  /** Path of the construct the problem is about. */
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
  /** Whether the warning was acknowledged in the app (Annotations.acknowledgeWarning); errors never are. */
  readonly acknowledged: boolean;
}
