import { derivePoolSettings, presetProblems, presetVariables, PresetSpec } from '../../lib/budget';

// Pool 12, overflow 3, behind a proxy whose IdleClientTimeout is 900 s: idle 450 s, lifetime 30 min, acquire 30 s.
const settings = derivePoolSettings({ poolSize: 12, overflowPerPool: 3, proxyIdleClientTimeoutSeconds: 900 });
const rendered = (spec: PresetSpec) => Object.fromEntries(presetVariables(spec).map((v) => [v.name, v.render(settings)]));

test.each<[string, PresetSpec, Record<string, string>]>([
  ['generic', { framework: 'generic', prefix: 'DB_POOL' }, {
    DB_POOL_MAX: '12', DB_POOL_MIN: '1', DB_POOL_MAX_OVERFLOW: '3', DB_POOL_ACQUIRE_TIMEOUT_MS: '30000', DB_POOL_IDLE_TIMEOUT_MS: '450000', DB_POOL_MAX_LIFETIME_MS: '1800000',
  }],
  ['Spring Boot with HikariCP (relaxed binding, milliseconds)', { framework: 'spring-boot-hikari', prefix: 'SPRING_DATASOURCE_HIKARI' }, {
    SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE: '12', SPRING_DATASOURCE_HIKARI_MINIMUMIDLE: '1', SPRING_DATASOURCE_HIKARI_CONNECTIONTIMEOUT: '30000',
    SPRING_DATASOURCE_HIKARI_IDLETIMEOUT: '450000', SPRING_DATASOURCE_HIKARI_MAXLIFETIME: '1800000',
  }],
  ['SQLAlchemy (seconds, overflow always set)', { framework: 'sqlalchemy', prefix: 'SQLALCHEMY' }, {
    SQLALCHEMY_POOL_SIZE: '12', SQLALCHEMY_MAX_OVERFLOW: '3', SQLALCHEMY_POOL_TIMEOUT: '30', SQLALCHEMY_POOL_RECYCLE: '1800',
  }],
  ['Rails', { framework: 'rails' }, { RAILS_MAX_THREADS: '12', DB_CHECKOUT_TIMEOUT: '30', DB_IDLE_TIMEOUT: '450' }],
  ['node-postgres', { framework: 'node-postgres', prefix: 'PG_POOL' }, {
    PG_POOL_MAX: '12', PG_POOL_MIN: '1', PG_POOL_IDLE_TIMEOUT_MILLIS: '450000', PG_POOL_CONNECTION_TIMEOUT_MILLIS: '30000', PG_POOL_MAX_LIFETIME_SECONDS: '1800',
  }],
  ['pgx (connection-string parameters, Go durations)', { framework: 'pgx', variable: 'PGX_POOL_PARAMS' }, {
    PGX_POOL_PARAMS: 'pool_max_conns=12&pool_min_conns=1&pool_max_conn_lifetime=1800s&pool_max_conn_idle_time=450s',
  }],
  ['Npgsql (connection-string keywords, seconds)', { framework: 'npgsql', variable: 'NPGSQL_POOL_OPTIONS' }, {
    NPGSQL_POOL_OPTIONS: 'Maximum Pool Size=12;Minimum Pool Size=1;Timeout=30;Connection Idle Lifetime=450;Connection Lifetime=1800',
  }],
  ['Prisma ≤ 6 (URL parameters)', { framework: 'prisma', variable: 'PRISMA_POOL_PARAMS' }, { PRISMA_POOL_PARAMS: 'connection_limit=12&pool_timeout=30' }],
  ['a custom mapping in seconds, unnamed settings left out', {
    framework: 'custom', variables: { maxSize: 'POOL', maxOverflow: 'EXTRA', maxLifetime: 'LIFETIME_S', timeUnit: 'seconds' },
  }, { POOL: '12', EXTRA: '3', LIFETIME_S: '1800' }],
])('%s', (_name, spec, expected) => {
  expect(rendered(spec)).toEqual(expected);
});

test('presets without an overflow setting refuse an overflow they could not deliver', () => {
  const overflowing = (spec: PresetSpec) => presetProblems(spec, 2).length > 0;
  expect(overflowing({ framework: 'generic', prefix: 'DB_POOL' })).toBe(false);
  expect(overflowing({ framework: 'sqlalchemy', prefix: 'SQLALCHEMY' })).toBe(false);
  expect(overflowing({ framework: 'custom', variables: { maxSize: 'P', maxOverflow: 'O', timeUnit: 'milliseconds' } })).toBe(false);
  for (const spec of [
    { framework: 'spring-boot-hikari', prefix: 'X' }, { framework: 'rails' }, { framework: 'node-postgres', prefix: 'X' },
    { framework: 'pgx', variable: 'X' }, { framework: 'npgsql', variable: 'X' }, { framework: 'prisma', variable: 'X' },
    { framework: 'custom', variables: { maxSize: 'P', timeUnit: 'milliseconds' } },
  ] as PresetSpec[]) {
    expect(overflowing(spec)).toBe(true);
    expect(presetProblems(spec, 0)).toEqual([]);
  }
});

test('a custom mapping may not name one variable twice', () => {
  expect(presetProblems({ framework: 'custom', variables: { maxSize: 'POOL', minIdle: 'POOL', timeUnit: 'milliseconds' } }, 0))
    .toEqual(["the preset names 'POOL' for two settings"]);
});
