import { EngineKind, isPostgresEngine } from './capacity';
import { PresetSpec } from './presets';

/** Where a consumer connects: the proxy's endpoint through the proxy, the database's for a direct client. */
export interface Route {
  readonly engine: EngineKind;
  /** Host name (a token in a CDK app). */
  readonly host: string;
  /** Port, as text (a token in a CDK app). */
  readonly port: string;
  /** The database's name; undefined when it is not known (a MySQL database without a default one). */
  readonly databaseName?: string;
  /** The consumer's own database user and the secret holding its password; undefined when it connects as no user of its own. */
  readonly credentials?: RouteCredentials;
}

/** Who a consumer connects as: its database user, and the secret its password is read from at connect time. */
export interface RouteCredentials {
  readonly user: string;
  /** ARN of the user's secret (a token in a CDK app); rotation changes the password, so the consumer reads it when it connects. */
  readonly secretArn: string;
}

/** One delivered route variable: its name and how its value follows from the route. */
export interface RouteVariable {
  readonly name: string;
  /** A variable of the database's name alone is left out when the name is unknown. */
  readonly databaseNameOnly?: boolean;
  /** A variable of the credentials is left out when the consumer has none. */
  readonly credentialsOnly?: boolean;
  readonly render: (route: Route) => string;
}

/** node-postgres and pgx read libpq's variables themselves (SOURCES.libpqEnvironment). */
const LIBPQ_VARIABLES: readonly RouteVariable[] = [
  { name: 'PGHOST', render: (r) => r.host },
  { name: 'PGPORT', render: (r) => r.port },
  { name: 'PGDATABASE', databaseNameOnly: true, render: (r) => r.databaseName ?? '' },
];

/**
 * The variables that carry where to connect, in the names each preset's framework (or its usual configuration) reads.
 * No credentials: a password belongs in a secret, and the consumer reads it from there.
 */
export function routeVariables(spec: PresetSpec): readonly RouteVariable[] {
  return [...locationVariables(spec), ...credentialVariables(spec)];
}

function locationVariables(spec: PresetSpec): readonly RouteVariable[] {
  switch (spec.framework) {
    case 'generic':
      return parts(stripSuffix(spec.prefix, '_POOL'), 'NAME');
    case 'spring-boot-hikari':
      // spring.datasource.url, relaxed binding (SOURCES.springRelaxedBinding).
      return [{ name: `${stripSuffix(spec.prefix, '_HIKARI')}_URL`, render: (r) => `jdbc:${jdbcScheme(r.engine)}://${r.host}:${r.port}/${r.databaseName ?? ''}` }];
    case 'sqlalchemy':
      return parts(spec.prefix, 'DATABASE');
    case 'rails':
      // Rails merges DATABASE_URL into database.yml; the user name and password stay in database.yml (SOURCES.railsDatabaseUrl).
      return [{ name: 'DATABASE_URL', render: (r) => `${railsScheme(r.engine)}://${r.host}:${r.port}/${r.databaseName ?? ''}` }];
    case 'node-postgres':
      return spec.prefix === 'PG_POOL' ? LIBPQ_VARIABLES : parts(stripSuffix(spec.prefix, '_POOL'), 'DATABASE');
    case 'pgx':
      return spec.variable === 'PGX_POOL_PARAMS' ? LIBPQ_VARIABLES : parts(spec.variable, 'DATABASE');
    case 'npgsql':
      // Joined to the pool options: `${NPGSQL_CONNECTION};${NPGSQL_POOL_OPTIONS}` is a whole connection string (SOURCES.npgsqlConnectionString).
      return [{ name: `${stripSuffix(spec.variable, '_POOL_OPTIONS')}_CONNECTION`, render: (r) => `Host=${r.host};Port=${r.port}${r.databaseName === undefined ? '' : `;Database=${r.databaseName}`}` }];
    case 'prisma':
      // Prisma's DATABASE_URL holds the password; the app builds it from these and its secret.
      return parts(stripSuffix(spec.variable, '_POOL_PARAMS'), 'DATABASE');
    case 'custom': {
      const v = spec.variables;
      return [
        ...(v.host ? [{ name: v.host, render: (r: Route) => r.host }] : []),
        ...(v.port ? [{ name: v.port, render: (r: Route) => r.port }] : []),
        ...(v.databaseName ? [{ name: v.databaseName, databaseNameOnly: true, render: (r: Route) => r.databaseName ?? '' }] : []),
      ];
    }
  }
}

/**
 * The user name and the secret's ARN, beside the location in the names its framework's configuration usually reads:
 * the password is never delivered, only where to read it (libpq reads PGUSER itself, SOURCES.libpqEnvironment).
 */
function credentialVariables(spec: PresetSpec): readonly RouteVariable[] {
  const pair = (user: string, secretArn: string): RouteVariable[] => [
    { name: user, credentialsOnly: true, render: (r) => r.credentials?.user ?? '' },
    { name: secretArn, credentialsOnly: true, render: (r) => r.credentials?.secretArn ?? '' },
  ];
  switch (spec.framework) {
    case 'generic':
      return pair(`${stripSuffix(spec.prefix, '_POOL')}_USER`, `${stripSuffix(spec.prefix, '_POOL')}_SECRET_ARN`);
    case 'spring-boot-hikari':
      // spring.datasource.username, relaxed binding (SOURCES.springRelaxedBinding).
      return pair(`${stripSuffix(spec.prefix, '_HIKARI')}_USERNAME`, `${stripSuffix(spec.prefix, '_HIKARI')}_SECRET_ARN`);
    case 'sqlalchemy':
      return pair(`${spec.prefix}_USER`, `${spec.prefix}_SECRET_ARN`);
    case 'rails':
      return pair('DATABASE_USERNAME', 'DATABASE_SECRET_ARN');
    case 'node-postgres':
      return spec.prefix === 'PG_POOL' ? pair('PGUSER', 'PG_SECRET_ARN') : pair(`${stripSuffix(spec.prefix, '_POOL')}_USER`, `${stripSuffix(spec.prefix, '_POOL')}_SECRET_ARN`);
    case 'pgx':
      return spec.variable === 'PGX_POOL_PARAMS' ? pair('PGUSER', 'PG_SECRET_ARN') : pair(`${spec.variable}_USER`, `${spec.variable}_SECRET_ARN`);
    case 'npgsql':
      return pair(`${stripSuffix(spec.variable, '_POOL_OPTIONS')}_USERNAME`, `${stripSuffix(spec.variable, '_POOL_OPTIONS')}_SECRET_ARN`);
    case 'prisma':
      return pair(`${stripSuffix(spec.variable, '_POOL_PARAMS')}_USER`, `${stripSuffix(spec.variable, '_POOL_PARAMS')}_SECRET_ARN`);
    case 'custom':
      return [
        ...(spec.variables.user ? [{ name: spec.variables.user, credentialsOnly: true, render: (r: Route) => r.credentials?.user ?? '' }] : []),
        ...(spec.variables.secretArn ? [{ name: spec.variables.secretArn, credentialsOnly: true, render: (r: Route) => r.credentials?.secretArn ?? '' }] : []),
      ];
  }
}

/**
 * The route's variables with their values: a variable of the database's name alone only when the name is known, and the
 * credentials' only when the consumer has a user of its own.
 */
export function routeValues(spec: PresetSpec, route: Route): ReadonlyArray<readonly [name: string, value: string]> {
  return routeVariables(spec)
    .filter((v) => !(v.databaseNameOnly && route.databaseName === undefined) && !(v.credentialsOnly && route.credentials === undefined))
    .map((v) => [v.name, v.render(route)] as const);
}

function parts(base: string, databaseSuffix: string): RouteVariable[] {
  return [
    { name: `${base}_HOST`, render: (r) => r.host },
    { name: `${base}_PORT`, render: (r) => r.port },
    { name: `${base}_${databaseSuffix}`, databaseNameOnly: true, render: (r) => r.databaseName ?? '' },
  ];
}

function stripSuffix(text: string, suffix: string): string {
  return text.endsWith(suffix) && text.length > suffix.length ? text.slice(0, -suffix.length) : text;
}

function jdbcScheme(engine: EngineKind): string {
  return isPostgresEngine(engine) ? 'postgresql' : engine === 'rds-mariadb' ? 'mariadb' : 'mysql';
}

/** Active Record's adapter names: postgresql, and mysql2 for MySQL and MariaDB. */
function railsScheme(engine: EngineKind): string {
  return isPostgresEngine(engine) ? 'postgresql' : 'mysql2';
}
