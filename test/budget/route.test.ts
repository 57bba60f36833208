import { EngineKind, PresetSpec, presetProblems, routeValues } from '../../lib/budget';

const route = (engine: EngineKind, databaseName?: string) => ({ engine, host: 'proxy.example', port: '5432', databaseName });
/** The variables as delivered; `null` for a database without a known name. */
const rendered = (spec: PresetSpec, engine: EngineKind = 'rds-postgresql', name: string | null = 'app') => {
  const databaseName = name ?? undefined;
  return Object.fromEntries(routeValues(spec, route(engine, databaseName)));
};

describe('the route each preset delivers, in the names its framework reads', () => {
  test.each<[string, PresetSpec, EngineKind, Record<string, string>]>([
    ['generic', { framework: 'generic', prefix: 'DB_POOL' }, 'rds-postgresql', { DB_HOST: 'proxy.example', DB_PORT: '5432', DB_NAME: 'app' }],
    ['generic, another prefix', { framework: 'generic', prefix: 'CACHE_DB_POOL' }, 'rds-postgresql', { CACHE_DB_HOST: 'proxy.example', CACHE_DB_PORT: '5432', CACHE_DB_NAME: 'app' }],
    ['Spring Boot', { framework: 'spring-boot-hikari', prefix: 'SPRING_DATASOURCE_HIKARI' }, 'aurora-postgresql', { SPRING_DATASOURCE_URL: 'jdbc:postgresql://proxy.example:5432/app' }],
    ['Spring Boot on MariaDB', { framework: 'spring-boot-hikari', prefix: 'SPRING_DATASOURCE_HIKARI' }, 'rds-mariadb', { SPRING_DATASOURCE_URL: 'jdbc:mariadb://proxy.example:5432/app' }],
    ['SQLAlchemy', { framework: 'sqlalchemy', prefix: 'SQLALCHEMY' }, 'rds-postgresql', { SQLALCHEMY_HOST: 'proxy.example', SQLALCHEMY_PORT: '5432', SQLALCHEMY_DATABASE: 'app' }],
    ['Rails', { framework: 'rails' }, 'rds-postgresql', { DATABASE_URL: 'postgresql://proxy.example:5432/app' }],
    ['Rails on MySQL', { framework: 'rails' }, 'aurora-mysql', { DATABASE_URL: 'mysql2://proxy.example:5432/app' }],
    ['node-postgres', { framework: 'node-postgres', prefix: 'PG_POOL' }, 'rds-postgresql', { PGHOST: 'proxy.example', PGPORT: '5432', PGDATABASE: 'app' }],
    ['node-postgres, another prefix', { framework: 'node-postgres', prefix: 'REPORTS_PG_POOL' }, 'rds-postgresql', { REPORTS_PG_HOST: 'proxy.example', REPORTS_PG_PORT: '5432', REPORTS_PG_DATABASE: 'app' }],
    ['pgx', { framework: 'pgx', variable: 'PGX_POOL_PARAMS' }, 'rds-postgresql', { PGHOST: 'proxy.example', PGPORT: '5432', PGDATABASE: 'app' }],
    ['Npgsql', { framework: 'npgsql', variable: 'NPGSQL_POOL_OPTIONS' }, 'rds-postgresql', { NPGSQL_CONNECTION: 'Host=proxy.example;Port=5432;Database=app' }],
    ['Prisma', { framework: 'prisma', variable: 'PRISMA_POOL_PARAMS' }, 'rds-postgresql', { PRISMA_HOST: 'proxy.example', PRISMA_PORT: '5432', PRISMA_DATABASE: 'app' }],
    ['custom', { framework: 'custom', variables: { maxSize: 'W_MAX', timeUnit: 'seconds', host: 'W_HOST', databaseName: 'W_DB' } }, 'rds-postgresql', { W_HOST: 'proxy.example', W_DB: 'app' }],
    ['custom without route names', { framework: 'custom', variables: { maxSize: 'W_MAX', timeUnit: 'seconds' } }, 'rds-postgresql', {}],
  ])('%s', (_name, spec, engine, expected) => {
    expect(rendered(spec, engine)).toEqual(expected);
  });

  test('without a database name, variables of the name alone are left out and URLs end at the port', () => {
    expect(rendered({ framework: 'generic', prefix: 'DB_POOL' }, 'rds-mysql', null)).toEqual({ DB_HOST: 'proxy.example', DB_PORT: '5432' });
    expect(rendered({ framework: 'rails' }, 'rds-mysql', null)).toEqual({ DATABASE_URL: 'mysql2://proxy.example:5432/' });
    expect(rendered({ framework: 'npgsql', variable: 'NPGSQL_POOL_OPTIONS' }, 'rds-postgresql', null)).toEqual({ NPGSQL_CONNECTION: 'Host=proxy.example;Port=5432' });
  });

  test('a custom preset whose route names clash with its pool names, or are reserved, is refused', () => {
    expect(presetProblems({ framework: 'custom', variables: { maxSize: 'W_MAX', timeUnit: 'seconds', host: 'W_MAX' } }, 0))
      .toEqual(["the preset names 'W_MAX' for two settings"]);
    expect(presetProblems({ framework: 'custom', variables: { maxSize: 'W_MAX', timeUnit: 'seconds', port: 'AWS_PORT' } }, 0)).toEqual([
      "environment variable name 'AWS_PORT' belongs to the operating system, a language runtime or AWS (AWS_*, ECS_*, LAMBDA_*, PATH, HOME and the like); name the pool setting after the pool",
    ]);
  });
});
