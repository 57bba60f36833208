import { EngineKind } from './capacity';

/**
 * The largest max_connections each engine accepts. A claim or a parameter value above it cannot be what
 * the database runs with.
 * - PostgreSQL (RDS and Aurora): 262,143 (MAX_BACKENDS; SOURCES.postgresMaxConnections, and Aurora's
 *   "up to 262,143", SOURCES.auroraPostgresMaxConnections).
 * - MySQL and MariaDB: 100,000 (SOURCES.mysqlMaxConnections, SOURCES.mariadbMaxConnections).
 * - Aurora MySQL: 16,000 (SOURCES.auroraMysqlMaxConnections).
 */
export const MAX_SETTABLE_MAX_CONNECTIONS: Readonly<Record<EngineKind, number>> = {
  'rds-postgresql': 262_143,
  'aurora-postgresql': 262_143,
  'rds-mysql': 100_000,
  'rds-mariadb': 100_000,
  'aurora-mysql': 16_000,
};

/** The highest TCP port: the port a proxy or database listens on is at most this (RFC 793's 16-bit port field). */
export const MAX_PORT = 65_535;

/** The largest max_connections of any engine: no pool can be larger and still fit. */
export const LARGEST_MAX_CONNECTIONS = Math.max(...Object.values(MAX_SETTABLE_MAX_CONNECTIONS));

/** A pool (or its overflow) per process can never exceed the largest max_connections of any engine. */
export const MAX_POOL_SIZE = LARGEST_MAX_CONNECTIONS;

/**
 * ECS runs at most 5,000 tasks per service (SOURCES.ecsServiceQuotas); a desired count or an autoscaling
 * maximum above it cannot deploy.
 */
export const ECS_MAX_TASKS_PER_SERVICE = 5_000;

/**
 * The largest count (processes, pools, runs, tasks per run, execution environments) the library plans
 * with. No AWS quota comes near it, and a consumer with more instances than the largest max_connections
 * cannot fit whatever its pool: a larger number is a typo, and rejecting it keeps every figure exact.
 */
export const MAX_COUNT = 1_000_000;

/**
 * Aurora Serverless v2 capacity in Aurora capacity units (SOURCES.auroraServerlessV2ScalingConfiguration): half-step
 * increments; the minimum from 0 (on versions with auto-pause; 0.5 on others), the maximum at least 1 ("higher than
 * 0.5") and at most 256 (128 on older versions). The engine version narrows these at deploy; these are the widest AWS accepts.
 */
export const SERVERLESS_V2_CAPACITY_STEP_ACU = 0.5;
export const SERVERLESS_V2_LOWEST_MINIMUM_ACU = 0;
export const SERVERLESS_V2_LOWEST_MAXIMUM_ACU = 1;
export const SERVERLESS_V2_HIGHEST_CAPACITY_ACU = 256;

/** Secrets one RDS Proxy accepts (SOURCES.rdsProxyQuotas): with a user per consumer, the most consumers of one proxy. */
export const RDS_PROXY_MAX_SECRETS = 200;
