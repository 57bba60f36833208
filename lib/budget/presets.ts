import { PoolSettings } from './pool-settings';
import { routeVariables } from './route';

/**
 * How a framework reads its pool settings: which environment variables carry which setting, in
 * which unit. Every preset sets the pool maximum explicitly, so a framework default that is
 * unbounded or depends on the host (Go database/sql 0, pgx NumCPU, Prisma ≤ 6 CPUs × 2 + 1,
 * Npgsql 100, SQLAlchemy max_overflow 10) never applies.
 */
export type PresetSpec =
  | { readonly framework: 'generic'; readonly prefix: string }
  | { readonly framework: 'spring-boot-hikari'; readonly prefix: string }
  | { readonly framework: 'sqlalchemy'; readonly prefix: string }
  | { readonly framework: 'rails' }
  | { readonly framework: 'node-postgres'; readonly prefix: string }
  | { readonly framework: 'pgx'; readonly variable: string }
  | { readonly framework: 'npgsql'; readonly variable: string }
  | { readonly framework: 'prisma'; readonly variable: string }
  | { readonly framework: 'custom'; readonly variables: CustomVariables };

/** Environment variable names for a custom mapping; a setting without a name is not delivered. */
export interface CustomVariables {
  readonly maxSize: string;
  readonly minIdle?: string;
  readonly maxOverflow?: string;
  readonly acquireTimeout?: string;
  readonly idleTimeout?: string;
  readonly maxLifetime?: string;
  readonly timeUnit: 'milliseconds' | 'seconds';
  /** Where to connect: the proxy's (or, for a direct client, the database's) host, its port and the database's name. */
  readonly host?: string;
  readonly port?: string;
  readonly databaseName?: string;
  /** Who to connect as: the consumer's own database user, and the ARN of the secret holding its password. */
  readonly user?: string;
  readonly secretArn?: string;
}

/** One delivered environment variable: its name and how its value follows from the pool settings. */
export interface PresetVariable {
  readonly name: string;
  readonly render: (settings: PoolSettings) => string;
}

/** Human name of each framework, for messages and docs. */
export const FRAMEWORK_NAMES: Readonly<Record<PresetSpec['framework'], string>> = {
  'generic': 'the generic DB_POOL_* variables',
  'spring-boot-hikari': 'Spring Boot with HikariCP',
  'sqlalchemy': 'SQLAlchemy',
  'rails': 'Rails (Active Record)',
  'node-postgres': 'node-postgres (pg.Pool)',
  'pgx': 'pgx (pgxpool)',
  'npgsql': 'Npgsql',
  'prisma': 'Prisma ORM 6 and earlier',
  'custom': 'a custom mapping',
};

const ms = (value: number) => String(value);
/** Whole seconds, rounded down so a timeout never grows past the one derived. */
const seconds = (valueMs: number) => String(Math.floor(valueMs / 1000));
/** A Go duration string (time.ParseDuration): `1800s`. */
const goDuration = (valueMs: number) => `${Math.floor(valueMs / 1000)}s`;

/** The variables a preset delivers, in a stable order. */
export function presetVariables(spec: PresetSpec): readonly PresetVariable[] {
  switch (spec.framework) {
    case 'generic':
      return [
        { name: `${spec.prefix}_MAX`, render: (s) => String(s.maxSize) },
        { name: `${spec.prefix}_MIN`, render: (s) => String(s.minIdle) },
        { name: `${spec.prefix}_MAX_OVERFLOW`, render: (s) => String(s.maxOverflow) },
        { name: `${spec.prefix}_ACQUIRE_TIMEOUT_MS`, render: (s) => ms(s.acquireTimeoutMs) },
        { name: `${spec.prefix}_IDLE_TIMEOUT_MS`, render: (s) => ms(s.idleTimeoutMs) },
        { name: `${spec.prefix}_MAX_LIFETIME_MS`, render: (s) => ms(s.maxLifetimeMs) },
      ];
    case 'spring-boot-hikari':
      // Relaxed binding from the environment: dots to underscores, dashes removed, upper case
      // (SOURCES.springRelaxedBinding). HikariCP timeouts are milliseconds (SOURCES.hikariReadme).
      return [
        { name: `${spec.prefix}_MAXIMUMPOOLSIZE`, render: (s) => String(s.maxSize) },
        { name: `${spec.prefix}_MINIMUMIDLE`, render: (s) => String(s.minIdle) },
        { name: `${spec.prefix}_CONNECTIONTIMEOUT`, render: (s) => ms(s.acquireTimeoutMs) },
        { name: `${spec.prefix}_IDLETIMEOUT`, render: (s) => ms(s.idleTimeoutMs) },
        { name: `${spec.prefix}_MAXLIFETIME`, render: (s) => ms(s.maxLifetimeMs) },
      ];
    case 'sqlalchemy':
      // create_engine(pool_size, max_overflow, pool_timeout [s], pool_recycle [s]) (SOURCES.sqlalchemyCreateEngine);
      // max_overflow is always delivered, so its silent default of 10 never applies.
      return [
        { name: `${spec.prefix}_POOL_SIZE`, render: (s) => String(s.maxSize) },
        { name: `${spec.prefix}_MAX_OVERFLOW`, render: (s) => String(s.maxOverflow) },
        { name: `${spec.prefix}_POOL_TIMEOUT`, render: (s) => seconds(s.acquireTimeoutMs) },
        { name: `${spec.prefix}_POOL_RECYCLE`, render: (s) => seconds(s.maxLifetimeMs) },
      ];
    case 'rails':
      // The generated database.yml reads `pool` from RAILS_MAX_THREADS (SOURCES.railsDatabaseYml);
      // checkout_timeout and idle_timeout are seconds, read by a database.yml that uses them.
      return [
        { name: 'RAILS_MAX_THREADS', render: (s) => String(s.maxSize) },
        { name: 'DB_CHECKOUT_TIMEOUT', render: (s) => seconds(s.acquireTimeoutMs) },
        { name: 'DB_IDLE_TIMEOUT', render: (s) => seconds(s.idleTimeoutMs) },
      ];
    case 'node-postgres':
      // pg.Pool options max, min, idleTimeoutMillis, connectionTimeoutMillis, maxLifetimeSeconds (SOURCES.nodePostgresPool).
      return [
        { name: `${spec.prefix}_MAX`, render: (s) => String(s.maxSize) },
        { name: `${spec.prefix}_MIN`, render: (s) => String(s.minIdle) },
        { name: `${spec.prefix}_IDLE_TIMEOUT_MILLIS`, render: (s) => ms(s.idleTimeoutMs) },
        { name: `${spec.prefix}_CONNECTION_TIMEOUT_MILLIS`, render: (s) => ms(s.acquireTimeoutMs) },
        { name: `${spec.prefix}_MAX_LIFETIME_SECONDS`, render: (s) => seconds(s.maxLifetimeMs) },
      ];
    case 'pgx':
      // Connection-string parameters that pgxpool.ParseConfig reads (SOURCES.pgxpoolParseConfig); pgxpool
      // has no acquire timeout parameter (callers bound Acquire with a context).
      return [{
        name: spec.variable,
        render: (s) => [
          `pool_max_conns=${s.maxSize}`,
          `pool_min_conns=${s.minIdle}`,
          `pool_max_conn_lifetime=${goDuration(s.maxLifetimeMs)}`,
          `pool_max_conn_idle_time=${goDuration(s.idleTimeoutMs)}`,
        ].join('&'),
      }];
    case 'npgsql':
      // Connection-string keywords; Timeout, Connection Idle Lifetime and Connection Lifetime are seconds
      // (SOURCES.npgsqlConnectionString).
      return [{
        name: spec.variable,
        render: (s) => [
          `Maximum Pool Size=${s.maxSize}`,
          `Minimum Pool Size=${s.minIdle}`,
          `Timeout=${seconds(s.acquireTimeoutMs)}`,
          `Connection Idle Lifetime=${seconds(s.idleTimeoutMs)}`,
          `Connection Lifetime=${seconds(s.maxLifetimeMs)}`,
        ].join(';'),
      }];
    case 'prisma':
      // DATABASE_URL parameters of Prisma ORM ≤ 6: connection_limit, pool_timeout [s] (SOURCES.prismaConnectionPool).
      return [{
        name: spec.variable,
        render: (s) => `connection_limit=${s.maxSize}&pool_timeout=${seconds(s.acquireTimeoutMs)}`,
      }];
    case 'custom': {
      const v = spec.variables;
      const time = (valueMs: number) => (v.timeUnit === 'seconds' ? seconds(valueMs) : ms(valueMs));
      const all: Array<[string | undefined, (s: PoolSettings) => string]> = [
        [v.maxSize, (s) => String(s.maxSize)],
        [v.minIdle, (s) => String(s.minIdle)],
        [v.maxOverflow, (s) => String(s.maxOverflow)],
        [v.acquireTimeout, (s) => time(s.acquireTimeoutMs)],
        [v.idleTimeout, (s) => time(s.idleTimeoutMs)],
        [v.maxLifetime, (s) => time(s.maxLifetimeMs)],
      ];
      return all.filter((entry): entry is [string, (s: PoolSettings) => string] => entry[0] !== undefined)
        .map(([name, render]) => ({ name, render }));
    }
  }
}

/** Whether the framework has a pool overflow setting (connections beyond the maximum). */
export function supportsOverflow(spec: PresetSpec): boolean {
  return spec.framework === 'generic' || spec.framework === 'sqlalchemy'
    || (spec.framework === 'custom' && spec.variables.maxOverflow !== undefined);
}

/**
 * Whether the preset delivers the pool's minimum idle: the connections each pool opens as its process starts. SQLAlchemy,
 * Rails and Prisma 6 have no such setting the preset could deliver, so what they open at start is their own.
 */
export function deliversMinIdle(spec: PresetSpec): boolean {
  switch (spec.framework) {
    case 'sqlalchemy':
    case 'rails':
    case 'prisma':
      return false;
    case 'custom':
      return spec.variables.minIdle !== undefined;
    default:
      return true;
  }
}

/** Environment variable names: ENVIRONMENT_VARIABLE_NAME_RULE. */
export const ENVIRONMENT_VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What ENVIRONMENT_VARIABLE_NAME allows, in words, for messages. */
export const ENVIRONMENT_VARIABLE_NAME_RULE = 'letters, digits and underscores, not starting with a digit';

/**
 * Variables the operating system, language runtimes, ECS or Lambda own: a pool setting written into one breaks the
 * process, or the platform overwrites it (SOURCES.lambdaReservedVariables, SOURCES.ecsContainerMetadata).
 */
export const RESERVED_VARIABLE_NAMES: ReadonlySet<string> = new Set([
  'PATH', 'HOME', 'HOSTNAME', 'USER', 'SHELL', 'PWD', 'LANG', 'LC_ALL', 'TERM', 'TZ', 'LD_LIBRARY_PATH', 'LD_PRELOAD',
  'NODE_OPTIONS', 'JAVA_TOOL_OPTIONS', 'PYTHONPATH', '_HANDLER', '_X_AMZN_TRACE_ID',
]);
/** Prefixes of variables that AWS sets in tasks and functions. */
export const RESERVED_VARIABLE_PREFIXES: readonly string[] = ['AWS_', 'ECS_', 'LAMBDA_'];

/** What is wrong with a preset for a consumer, as messages; empty when it fits. */
export function presetProblems(spec: PresetSpec, overflowPerPool: number): string[] {
  const problems: string[] = [];
  const variables = [...presetVariables(spec), ...routeVariables(spec)];
  for (const variable of variables) {
    if (!ENVIRONMENT_VARIABLE_NAME.test(variable.name)) {
      problems.push(`environment variable name '${variable.name}' must be ${ENVIRONMENT_VARIABLE_NAME_RULE}`);
    } else if (RESERVED_VARIABLE_NAMES.has(variable.name) || RESERVED_VARIABLE_PREFIXES.some((p) => variable.name.startsWith(p))) {
      problems.push(`environment variable name '${variable.name}' belongs to the operating system, a language runtime or AWS `
        + `(${[...RESERVED_VARIABLE_PREFIXES].map((p) => `${p}*`).join(', ')}, PATH, HOME and the like); name the pool setting after the pool`);
    }
  }
  const names = variables.map((v) => v.name);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) {
    problems.push(`the preset names '${repeated[0]}' for two settings`);
  }
  if (overflowPerPool > 0 && !supportsOverflow(spec)) {
    problems.push(`overflowPerPool is ${overflowPerPool}, but ${FRAMEWORK_NAMES[spec.framework]} has no overflow setting, so the delivered variables `
      + 'could not hold the pool to it; set overflowPerPool to 0, or use a preset that delivers it (generic, SQLAlchemy, or a custom mapping with maxOverflow)');
  }
  return problems;
}
