import {
  AURORA_MYSQL_DEFAULT_MAX_CONNECTIONS,
  AURORA_POSTGRESQL_DEFAULT_MAX_CONNECTIONS,
  SERVERLESS_V2_MAX_CONNECTIONS,
  SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_ACU,
  SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_CAP,
  nominalMemoryBytes,
} from './data/instance-classes';
import { PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS } from './pool-settings';
import { compareText } from './text';

/** Database engines whose connection limits the budget knows. */
export type EngineKind = 'rds-postgresql' | 'rds-mysql' | 'rds-mariadb' | 'aurora-postgresql' | 'aurora-mysql';

/** Whether an engine is PostgreSQL (RDS or Aurora); the others are the MySQL family. */
export function isPostgresEngine(engine: EngineKind | undefined): boolean {
  return engine === 'rds-postgresql' || engine === 'aurora-postgresql';
}

/**
 * The port a new database listens on when its template sets none: "Default: RDS for MariaDB - 3306, RDS for MySQL -
 * 3306, RDS for PostgreSQL - 5432" (CreateDBInstance, SOURCES.rdsCreateDbInstancePort) and "RDS for MySQL and Aurora
 * MySQL - 3306, RDS for PostgreSQL and Aurora PostgreSQL - 5432" (CreateDBCluster, SOURCES.rdsCreateDbClusterPort).
 */
export const DATABASE_DEFAULT_PORT: Readonly<Record<EngineKind, number>> = {
  'rds-postgresql': 5432,
  'aurora-postgresql': 5432,
  'rds-mysql': 3306,
  'rds-mariadb': 3306,
  'aurora-mysql': 3306,
};

/**
 * RDS Proxy listens on the engine family's default port whatever port the database uses
 * (RDS Proxy limitations, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html;
 * aws/aws-cdk discussion #28321).
 */
export const PROXY_PORT: Readonly<Record<EngineKind, number>> = DATABASE_DEFAULT_PORT;

/** Human name of an engine, for messages. */
export const ENGINE_NAMES: Readonly<Record<EngineKind, string>> = {
  'rds-postgresql': 'RDS for PostgreSQL',
  'rds-mysql': 'RDS for MySQL',
  'rds-mariadb': 'RDS for MariaDB',
  'aurora-postgresql': 'Aurora PostgreSQL',
  'aurora-mysql': 'Aurora MySQL',
};

/**
 * Slots only superusers and AWS automation may use, subtracted from max_connections.
 * - RDS for PostgreSQL: superuser_reserved_connections 3 + rds.rds_superuser_reserved_connections 2
 *   (SOURCES.rdsPostgresReservedSlots: "100 → 95").
 * - Aurora PostgreSQL: "at least 3 more connections to support AWS automation"
 *   (SOURCES.auroraPostgresMaxConnections).
 * - MySQL family: the admin slot is max_connections + 1, outside max_connections, so 0.
 */
export const ENGINE_RESERVED_CONNECTIONS: Readonly<Record<EngineKind, number>> = {
  'rds-postgresql': 3 + 2,
  'aurora-postgresql': 3,
  'rds-mysql': 0,
  'rds-mariadb': 0,
  'aurora-mysql': 0,
};

/**
 * Parameters that shrink what ordinary roles and users may open, read from the parameter groups:
 * - PostgreSQL: superuser_reserved_connections, rds.rds_superuser_reserved_connections and (PostgreSQL 16+)
 *   reserved_connections keep slots from ordinary roles (SOURCES.postgresReservedConnections,
 *   SOURCES.rdsPostgresReservedSlots);
 * - MySQL family: max_user_connections caps the connections of any one account, 0 meaning no limit
 *   (SOURCES.mysqlMaxUserConnections).
 */
export type LimitParameter =
  | 'superuser_reserved_connections'
  | 'rds.rds_superuser_reserved_connections'
  | 'reserved_connections'
  | 'max_user_connections';

/** The limit parameters each engine has, in the order the explanation names them. */
export const ENGINE_LIMIT_PARAMETERS: Readonly<Record<EngineKind, readonly LimitParameter[]>> = {
  'rds-postgresql': ['superuser_reserved_connections', 'rds.rds_superuser_reserved_connections', 'reserved_connections'],
  'aurora-postgresql': ['superuser_reserved_connections', 'rds.rds_superuser_reserved_connections', 'reserved_connections'],
  'rds-mysql': ['max_user_connections'],
  'rds-mariadb': ['max_user_connections'],
  'aurora-mysql': ['max_user_connections'],
};

/**
 * What each PostgreSQL reserve parameter keeps when the parameter group does not set it: RDS for PostgreSQL
 * 3 + 2 + 0. Aurora publishes only "at least 3", so a parameter it does not set counts 3 + 0 + 0.
 * The engine reserve is never below ENGINE_RESERVED_CONNECTIONS, whatever the parameters say.
 */
const DEFAULT_RESERVE_PARAMETERS: Readonly<Partial<Record<EngineKind, Readonly<Partial<Record<LimitParameter, number>>>>>> = {
  'rds-postgresql': { 'superuser_reserved_connections': 3, 'rds.rds_superuser_reserved_connections': 2, 'reserved_connections': 0 },
  'aurora-postgresql': { 'superuser_reserved_connections': 3, 'rds.rds_superuser_reserved_connections': 0, 'reserved_connections': 0 },
};

/**
 * Default max_connections formula divisors: `{DBInstanceClassMemory/<divisor>}`.
 * PostgreSQL (RDS and Aurora): LEAST({DBInstanceClassMemory/9531392},5000).
 * MySQL: {DBInstanceClassMemory/12582880}; MariaDB is assumed to use the MySQL formula (UNCONFIRMED,
 * only third-party copies seen), which the memory derating below keeps on the safe side.
 * Sources: SOURCES.rdsMaxConnections, SOURCES.rdsMaxConnectionsKnowledgeCenter.
 */
export const POSTGRESQL_MEMORY_DIVISOR_BYTES = 9_531_392;
export const POSTGRESQL_DEFAULT_MAX_CONNECTIONS_CAP = 5000;
export const MYSQL_MEMORY_DIVISOR_BYTES = 12_582_880;

/**
 * Aurora MySQL default formula terms: GREATEST({log(M/805306368)*45},{log(M/8187281408)*1000}),
 * log base 2 (SOURCES.rdsParameterFormulas). The official per-class table is reproduced only when
 * each log2 term is rounded to the nearest integer, so the estimate rounds the same way.
 */
export const AURORA_MYSQL_SMALL_TERM = { memoryDivisorBytes: 805_306_368, factor: 45 } as const;
export const AURORA_MYSQL_LARGE_TERM = { memoryDivisorBytes: 8_187_281_408, factor: 1000 } as const;

/**
 * DBInstanceClassMemory is below nominal memory: AWS subtracts what the OS and RDS processes use
 * and publishes no per-class value (SOURCES.rdsParameterFormulas). Official Aurora tables imply
 * 0.89-0.97 of nominal; measured RDS PostgreSQL values give 0.88 (db.t2.small, 198) to 0.97, and
 * db.t4g.micro measured 81 (0.72 of 1 GiB) because the OS share is larger on small classes
 * (SOURCES.communityMeasuredPostgres, SOURCES.communityMeasuredMicro).
 * The estimate takes 88 % of nominal memory and then removes a fixed 300 MiB, which stays below
 * every published or measured value we know (see test/budget/capacity.test.ts).
 */
export const NOMINAL_MEMORY_DERATING = 0.88;
export const FIXED_OS_MEMORY_BYTES = 300 * 1024 ** 2;

/**
 * RDS Proxy keeps some database connections for monitoring and failover, so its
 * MaxDatabaseConnectionsAllowed can be lower than MaxConnectionsPercent implies
 * (SOURCES.rdsProxyConnections, SOURCES.rdsProxyManaging). AWS does not publish how many: the budget sets aside this many.
 */
export const PROXY_INTERNAL_CONNECTIONS = 5;

/** RDS Proxy's MaxConnectionsPercent when it is not set (SOURCES.rdsProxyPoolConfiguration). */
export const PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT = 100;

/** Where a max_connections value came from. */
export type MaxConnectionsSource =
  | 'budget-property'
  | 'parameter-group'
  | 'aurora-class-table'
  | 'serverless-v2-table'
  | 'memory-estimate'
  | 'allocation';

/** Every MaxConnectionsSource, for readers that check a ledger; the record keeps the list exhaustive. */
export const MAX_CONNECTIONS_SOURCES = Object.keys({
  'budget-property': true,
  'parameter-group': true,
  'aurora-class-table': true,
  'serverless-v2-table': true,
  'memory-estimate': true,
  'allocation': true,
} satisfies Record<MaxConnectionsSource, true>) as readonly MaxConnectionsSource[];

/** A max_connections value with its origin. */
export interface MaxConnections {
  readonly value: number;
  readonly source: MaxConnectionsSource;
  /** What the value was read from, for messages: a class, a parameter group path. */
  readonly basis: string;
}

/** How a database instance is sized. */
export type InstanceSizing =
  | { readonly kind: 'provisioned'; readonly instanceClass: string }
  | { readonly kind: 'serverless-v2'; readonly minCapacityAcu: number; readonly maxCapacityAcu: number };

/** What the template says about one database instance that can serve the proxy's writes. */
export interface DatabaseInstanceFacts {
  readonly path: string;
  /** max_connections set to a number in the parameter group this instance uses. */
  readonly parameterGroupMaxConnections?: number;
  /** Path of that parameter group. */
  readonly parameterGroupPath?: string;
  /** Limit parameters set to numbers in the parameter groups this instance uses (the first group that sets one wins). */
  readonly limitParameters?: Readonly<Partial<Record<LimitParameter, number>>>;
  readonly sizing?: InstanceSizing;
}

/** A named number of connections kept free on purpose: migrations, admin, BI tools, another team's app. */
export interface Reservation {
  readonly name: string;
  readonly connections: number;
  /** Whether these clients connect through the proxy, and so also take from its ceiling. */
  readonly throughProxy?: boolean;
  /**
   * A weighted share of the ceiling instead of a number (an allocation granted as a share): resolved at synth, with the
   * consumers' derived pools, into `connections`. @default - `connections` as given
   */
  readonly share?: { readonly weight: number; readonly min: number; readonly max: number };
}

/** What the template says about the RDS Proxy in front of the database. */
export interface ProxyFacts {
  readonly path: string;
  /** As the template sets it; absent when the budget derives it (a proxy the library creates). */
  readonly maxConnectionsPercent?: number;
  /** Whether the proxy's target group points at the budget's database. */
  readonly targetsDatabase: boolean;
  /** How long the proxy keeps an idle client connection. @default PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS */
  readonly idleClientTimeoutSeconds?: number;
}

/**
 * An Aurora Serverless v2 capacity whose published max_connections a construct of this library (BudgetedDatabase) wrote
 * into the parameter group because none was given: a fix then raises the capacity, not max_connections.
 */
export interface ServerlessV2Default {
  /** Construct path of the construct whose props set the capacity. */
  readonly path: string;
  readonly minCapacityAcu: number;
  readonly maxCapacityAcu: number;
}

/**
 * Connections another app's budget granted this one (ConnectionBudget.fromAllocation): the whole ceiling. The owning
 * budget already took the engine reserve, the proxy's own connections and its other consumers out of its ceiling.
 */
export interface AllocationCeiling {
  /** Construct path of the owning budget, in its app. */
  readonly budgetPath: string;
  /** The allocation's name. */
  readonly name: string;
  /** The connections granted, as this app knows them. */
  readonly connections: number;
  /** Where the number was read, for messages: `SSM parameter '/connection-budget/...' (cached in cdk.context.json)`. */
  readonly basis: string;
  /** How long the owning app's proxy keeps an idle client connection; the pools' idle timeout is derived below it. */
  readonly proxyIdleClientTimeoutSeconds: number;
  /** True while CDK has not looked the record up: `connections` is a stand-in. @default false */
  readonly pending?: boolean;
}

/** Everything capacity depends on. */
export interface CapacityInput {
  readonly engine: EngineKind;
  /** Set for a budget built from another app's allocation: the allocation is the ceiling, and instances and proxy are empty. */
  readonly allocation?: AllocationCeiling;
  /** Explicit max_connections from the budget; wins over the template and estimates. */
  readonly maxConnections?: number;
  /** Instances that can serve the proxy's connections (for Aurora, every instance can become the writer). */
  readonly instances: readonly DatabaseInstanceFacts[];
  readonly reservations: readonly Reservation[];
  /** Demand of clients that connect to the database directly, not through the proxy. */
  readonly directDemand?: number;
  readonly proxy?: ProxyFacts;
  /** Set when the parameter group's max_connections is the published value for this Serverless v2 capacity. */
  readonly serverlessV2Default?: ServerlessV2Default;
}

/** The capacity breakdown: from max_connections to the ceiling that consumers share. */
export interface Capacity {
  readonly engine: EngineKind;
  readonly maxConnections: MaxConnections;
  readonly engineReserve: number;
  /** The parameters behind a reserve above the engine's default: `superuser_reserved_connections 10 + rds.rds_superuser_reserved_connections 2`. */
  readonly engineReserveBasis?: string;
  /** MySQL max_user_connections: every ordinary connection is assumed to use one account, so none beyond it opens. */
  readonly userConnectionLimit?: number;
  readonly reservations: readonly Reservation[];
  readonly reservedTotal: number;
  /** The part of reservedTotal whose clients connect through the proxy. */
  readonly reservedThroughProxy: number;
  readonly directDemand: number;
  /** min(max_connections − engine reserve, max_user_connections) − reservations − direct demand. */
  readonly usable: number;
  readonly proxy?: {
    readonly path: string;
    readonly maxConnectionsPercent: number;
    /** Whether the budget derived maxConnectionsPercent (and the construct writes it into the template). */
    readonly derived: boolean;
    /** floor(max_connections × MaxConnectionsPercent / 100). */
    readonly ceiling: number;
    readonly internalConnections: number;
    /** How long the proxy keeps an idle client connection; the pools' idle timeout is derived below it. */
    readonly idleClientTimeoutSeconds: number;
  };
  /** The allocation this budget was granted by another app's budget; its ceiling is the allocation less its own reservations. */
  readonly allocation?: AllocationCeiling;
  /** What consumers may use at most: min(proxy ceiling, usable) − proxy internal, or usable; the allocation's usable for an allocation. */
  readonly effectiveCeiling: number;
  readonly limitedBy: 'proxy' | 'database' | 'allocation';
}

/** The max_connections a database would get by default, or undefined when the class is not known. */
export function estimateMaxConnections(engine: EngineKind, sizing: InstanceSizing): MaxConnections | undefined {
  if (sizing.kind === 'serverless-v2') {
    return serverlessV2MaxConnections(engine, sizing.minCapacityAcu, sizing.maxCapacityAcu);
  }
  const instanceClass = sizing.instanceClass.trim().toLowerCase().replace(/^(?!db\.)/, 'db.');
  const official =
    engine === 'aurora-mysql' ? AURORA_MYSQL_DEFAULT_MAX_CONNECTIONS[instanceClass]
      : engine === 'aurora-postgresql' ? AURORA_POSTGRESQL_DEFAULT_MAX_CONNECTIONS[instanceClass]
        : undefined;
  if (official !== undefined) {
    return { value: official, source: 'aurora-class-table', basis: instanceClass };
  }
  const nominal = nominalMemoryBytes(instanceClass);
  if (nominal === undefined) {
    return undefined;
  }
  return { value: defaultFormula(engine, deratedMemoryBytes(nominal)), source: 'memory-estimate', basis: instanceClass };
}

/** Nominal memory reduced to a conservative guess of DBInstanceClassMemory. */
export function deratedMemoryBytes(nominalBytes: number): number {
  return Math.max(0, Math.floor(nominalBytes * NOMINAL_MEMORY_DERATING - FIXED_OS_MEMORY_BYTES));
}

/** The engine's default max_connections formula evaluated on a DBInstanceClassMemory value. */
export function defaultFormula(engine: EngineKind, instanceClassMemoryBytes: number): number {
  switch (engine) {
    case 'rds-postgresql':
    case 'aurora-postgresql':
      return Math.min(Math.floor(instanceClassMemoryBytes / POSTGRESQL_MEMORY_DIVISOR_BYTES), POSTGRESQL_DEFAULT_MAX_CONNECTIONS_CAP);
    case 'rds-mysql':
    case 'rds-mariadb':
      return Math.floor(instanceClassMemoryBytes / MYSQL_MEMORY_DIVISOR_BYTES);
    case 'aurora-mysql': {
      const term = (t: { memoryDivisorBytes: number; factor: number }) =>
        Math.max(0, Math.round(Math.log2(instanceClassMemoryBytes / t.memoryDivisorBytes))) * t.factor;
      return Math.max(term(AURORA_MYSQL_SMALL_TERM), term(AURORA_MYSQL_LARGE_TERM));
    }
  }
}

function serverlessV2MaxConnections(engine: EngineKind, minCapacityAcu: number, maxCapacityAcu: number): MaxConnections | undefined {
  if (engine !== 'aurora-mysql' && engine !== 'aurora-postgresql') {
    return undefined;
  }
  // Rows are ascending; between rows the lower one is the safe side.
  const row = [...SERVERLESS_V2_MAX_CONNECTIONS].reverse().find((r) => r.maxCapacityAcu <= maxCapacityAcu);
  if (!row) {
    return undefined;
  }
  let value = engine === 'aurora-mysql' ? row.auroraMysql : row.auroraPostgresql;
  if (engine === 'aurora-postgresql' && minCapacityAcu <= SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_ACU) {
    value = Math.min(value, SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_CAP);
  }
  const rowText = row.maxCapacityAcu === maxCapacityAcu
    ? `the published row for a maximum of ${row.maxCapacityAcu} ACU`
    : `the published row for a maximum of ${row.maxCapacityAcu} ACU, the nearest below ${maxCapacityAcu} ACU (AWS publishes rows for `
      + `${SERVERLESS_V2_MAX_CONNECTIONS.map((r) => r.maxCapacityAcu).join(', ')} ACU only; between rows the lower is the safe side)`;
  const cap = value < (engine === 'aurora-mysql' ? row.auroraMysql : row.auroraPostgresql)
    ? `, capped at ${SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_CAP} for a minimum of ${minCapacityAcu} ACU` : '';
  return { value, source: 'serverless-v2-table', basis: `Serverless v2 ${minCapacityAcu}-${maxCapacityAcu} ACU: ${rowText}${cap}` };
}

/**
 * The max_connections the budget plans with: the lowest over every instance that can serve the
 * proxy (a failover may promote the smallest one). An explicit budget value replaces defaults and
 * estimates, but a lower value set in a parameter group still wins: that is what deploys.
 * Undefined when any instance's value cannot be determined and no explicit value is given.
 */
export function resolveMaxConnections(input: CapacityInput): MaxConnections | undefined {
  if (input.allocation) {
    return { value: input.allocation.connections, source: 'allocation', basis: input.allocation.basis };
  }
  const fromParameterGroups = input.instances.map((instance): MaxConnections | undefined =>
    instance.parameterGroupMaxConnections === undefined ? undefined
      : { value: instance.parameterGroupMaxConnections, source: 'parameter-group', basis: `parameter group '${instance.parameterGroupPath ?? instance.path}'` });
  if (input.maxConnections !== undefined) {
    const explicit: MaxConnections = { value: input.maxConnections, source: 'budget-property', basis: 'the budget\'s maxConnections' };
    return lowestOf([explicit, ...fromParameterGroups]);
  }
  if (input.instances.length === 0) {
    return undefined;
  }
  const values = input.instances.map((instance, i) =>
    fromParameterGroups[i] ?? (instance.sizing && estimateMaxConnections(input.engine, instance.sizing)));
  return values.every((v) => v !== undefined) ? lowestOf(values) : undefined;
}

/** The lowest defined value; the first of equals. */
function lowestOf(values: ReadonlyArray<MaxConnections | undefined>): MaxConnections | undefined {
  return values.reduce<MaxConnections | undefined>((lowest, v) => (v && (!lowest || v.value < lowest.value) ? v : lowest), undefined);
}

/** The proxy ceiling: the most database connections RDS Proxy opens. */
export function proxyCeiling(maxConnections: number, maxConnectionsPercent: number): number {
  return Math.floor((maxConnections * maxConnectionsPercent) / 100);
}

/**
 * The MaxConnectionsPercent that lets RDS Proxy open every connection the database has for it and no
 * more: floor(100 × (usable + reservations through the proxy) / max_connections), within 1-100.
 * Admin, migration and direct-client slots stay free, which 100 % (the service default) would not.
 */
export function deriveMaxConnectionsPercent(maxConnections: number, usable: number, reservedThroughProxy: number): number {
  const forProxy = usable + reservedThroughProxy;
  return Math.min(PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT, Math.max(1, Math.floor((100 * forProxy) / maxConnections)));
}

/** The capacity breakdown for a known max_connections. */
export function computeCapacity(input: CapacityInput, maxConnections: MaxConnections): Capacity {
  if (input.allocation) {
    return allocationCapacity(input, input.allocation, maxConnections);
  }
  const reserve = engineReserve(input.engine, input.instances);
  const userConnectionLimit = userLimit(input.instances);
  const reservations = [...input.reservations].sort((a, b) => compareText(a.name, b.name));
  const reservedTotal = reservations.reduce((sum, r) => sum + r.connections, 0);
  const reservedThroughProxy = input.proxy ? reservations.filter((r) => r.throughProxy).reduce((sum, r) => sum + r.connections, 0) : 0;
  const directDemand = input.directDemand ?? 0;
  // Without knowing which account each client uses, every ordinary connection is assumed to use the same one.
  const ordinary = Math.min(maxConnections.value - reserve.value, userConnectionLimit ?? Infinity);
  const usable = ordinary - reservedTotal - directDemand;
  const common = {
    engine: input.engine, maxConnections, engineReserve: reserve.value, engineReserveBasis: reserve.basis, userConnectionLimit,
    reservations, reservedTotal, reservedThroughProxy, directDemand, usable,
  };
  if (!input.proxy) {
    return { ...common, effectiveCeiling: Math.max(0, usable), limitedBy: 'database' };
  }
  const derived = input.proxy.maxConnectionsPercent === undefined;
  const maxConnectionsPercent = input.proxy.maxConnectionsPercent ?? deriveMaxConnectionsPercent(maxConnections.value, usable, reservedThroughProxy);
  const ceiling = proxyCeiling(maxConnections.value, maxConnectionsPercent);
  // Reservations through the proxy use its ceiling; usable already excludes them.
  const forConsumers = ceiling - reservedThroughProxy;
  const limitedBy = forConsumers <= usable ? 'proxy' : 'database';
  return {
    ...common,
    proxy: {
      path: input.proxy.path, maxConnectionsPercent, derived, ceiling, internalConnections: PROXY_INTERNAL_CONNECTIONS,
      idleClientTimeoutSeconds: input.proxy.idleClientTimeoutSeconds ?? PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS,
    },
    effectiveCeiling: Math.max(0, Math.min(forConsumers, usable) - PROXY_INTERNAL_CONNECTIONS),
    limitedBy,
  };
}

/**
 * An allocation's capacity: the granted connections are all there is; this app's own reservations come out of them.
 * No engine reserve and no proxy share: the owning budget took both before it granted the allocation.
 */
function allocationCapacity(input: CapacityInput, allocation: AllocationCeiling, maxConnections: MaxConnections): Capacity {
  const reservations = [...input.reservations].sort((a, b) => compareText(a.name, b.name));
  const reservedTotal = reservations.reduce((sum, r) => sum + r.connections, 0);
  const usable = maxConnections.value - reservedTotal;
  return {
    engine: input.engine, maxConnections, engineReserve: 0, reservations, reservedTotal, reservedThroughProxy: reservedTotal, directDemand: 0,
    usable, allocation, effectiveCeiling: Math.max(0, usable), limitedBy: 'allocation',
  };
}

/**
 * The slots the engine keeps from ordinary roles: the PostgreSQL reserve parameters as the parameter groups
 * set them (defaults where they do not), the largest over the instances, never below the engine's default.
 */
export function engineReserve(engine: EngineKind, instances: readonly DatabaseInstanceFacts[]): { value: number; basis?: string } {
  const floor = ENGINE_RESERVED_CONNECTIONS[engine];
  const defaults = DEFAULT_RESERVE_PARAMETERS[engine];
  let best: { value: number; basis?: string } = { value: floor };
  if (!defaults) {
    return best;
  }
  for (const instance of instances) {
    const set = instance.limitParameters ?? {};
    const names = ENGINE_LIMIT_PARAMETERS[engine].filter((p) => p in defaults);
    if (!names.some((p) => set[p] !== undefined)) continue;
    const value = names.reduce((sum, p) => sum + (set[p] ?? defaults[p]!), 0);
    if (value > best.value) {
      best = { value, basis: names.filter((p) => (set[p] ?? defaults[p]!) > 0).map((p) => `${p} ${set[p] ?? defaults[p]}`).join(' + ') };
    }
  }
  return best;
}

/** The lowest positive max_user_connections over the instances; undefined when none sets one. */
function userLimit(instances: readonly DatabaseInstanceFacts[]): number | undefined {
  const limits = instances.map((i) => i.limitParameters?.max_user_connections).filter((v): v is number => v !== undefined && v > 0);
  return limits.length === 0 ? undefined : Math.min(...limits);
}
