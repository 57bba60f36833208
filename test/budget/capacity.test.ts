import {
  AURORA_MYSQL_DEFAULT_MAX_CONNECTIONS,
  AURORA_POSTGRESQL_DEFAULT_MAX_CONNECTIONS,
  CapacityInput,
  computeCapacity,
  defaultFormula,
  deratedMemoryBytes,
  ENGINE_RESERVED_CONNECTIONS,
  estimateMaxConnections,
  EngineKind,
  nominalMemoryBytes,
  parseInstanceClass,
  PROXY_INTERNAL_CONNECTIONS,
  resolveMaxConnections,
} from '../../lib/budget';

const GIB = 1024 ** 3;

describe('estimateMaxConnections', () => {
  test.each([
    // Official Aurora MySQL table rows (AuroraMySQL.Managing.Performance).
    ['aurora-mysql', 'db.t3.medium', 90],
    ['aurora-mysql', 'db.t4g.large', 135],
    ['aurora-mysql', 'db.r5.large', 1000],
    ['aurora-mysql', 'db.r6g.2xlarge', 3000],
    ['aurora-mysql', 'db.r5.24xlarge', 7000],
    ['aurora-mysql', 'db.x2g.large', 2000],
    // Official Aurora PostgreSQL table rows (AuroraPostgreSQL.Managing).
    ['aurora-postgresql', 'db.t3.medium', 420],
    ['aurora-postgresql', 'db.t4g.medium', 405],
    ['aurora-postgresql', 'db.r5.large', 1600],
    ['aurora-postgresql', 'db.r6g.large', 1722],
    ['aurora-postgresql', 'db.r6g.xlarge', 3479],
    ['aurora-postgresql', 'db.r6g.4xlarge', 5000],
    ['aurora-postgresql', 'db.x2g.xlarge', 5000],
  ] as Array<[EngineKind, string, number]>)('%s %s uses the official table: %d', (engine, instanceClass, expected) => {
    expect(estimateMaxConnections(engine, { kind: 'provisioned', instanceClass })).toEqual({
      value: expected, source: 'aurora-class-table', basis: instanceClass,
    });
  });

  test.each([
    // [engine, class, expected estimate]: derated memory = nominal × 0.88 − 300 MiB.
    ['rds-postgresql', 'db.t4g.micro', 66], // measured 81 (guardian/typerighter#480)
    ['rds-postgresql', 'db.t3.small', 165], // t2.small measured 198 (guizmaii gist)
    ['rds-postgresql', 'db.t3.medium', 363], // t2.medium measured 413
    ['rds-postgresql', 'db.m5.large', 760], // m4.large measured 856
    ['rds-postgresql', 'db.r6g.16xlarge', 5000], // LEAST(..., 5000)
    ['rds-mysql', 'db.t3.medium', 275], // anecdotal 307
    ['rds-mysql', 'db.r5.large', 1176], // AWS: 16 GiB "around 1,300"
    ['rds-mariadb', 'db.r5.large', 1176],
    ['aurora-postgresql', 'db.r7g.large', 1553], // not in the official table
    ['aurora-mysql', 'db.r7g.large', 1000], // not in the table; formula reproduces the r6g.large row
  ] as Array<[EngineKind, string, number]>)('%s %s is estimated from memory: %d', (engine, instanceClass, expected) => {
    expect(estimateMaxConnections(engine, { kind: 'provisioned', instanceClass })).toEqual({
      value: expected, source: 'memory-estimate', basis: instanceClass,
    });
  });

  test.each([
    ['rds-postgresql', 'db.t4g.micro', 81],
    ['rds-postgresql', 'db.t3.small', 198],
    ['rds-postgresql', 'db.t3.medium', 413],
    ['rds-postgresql', 'db.t3.large', 856],
    ['rds-postgresql', 'db.m5.large', 856],
    ['rds-mysql', 'db.t3.medium', 307],
    ['rds-mysql', 'db.r5.large', 1300],
  ] as Array<[EngineKind, string, number]>)('the %s %s estimate stays at or below the measured %d', (engine, instanceClass, measured) => {
    expect(estimateMaxConnections(engine, { kind: 'provisioned', instanceClass })!.value).toBeLessThanOrEqual(measured);
  });

  test('the memory estimate never exceeds an official Aurora table row for the same class', () => {
    const tables: Array<[EngineKind, Readonly<Record<string, number>>]> = [
      ['aurora-postgresql', AURORA_POSTGRESQL_DEFAULT_MAX_CONNECTIONS],
      ['aurora-mysql', AURORA_MYSQL_DEFAULT_MAX_CONNECTIONS],
    ];
    const compared: string[] = [];
    const above: string[] = [];
    for (const [engine, table] of tables) {
      for (const [instanceClass, official] of Object.entries(table)) {
        const nominal = nominalMemoryBytes(instanceClass);
        if (nominal === undefined) continue;
        compared.push(instanceClass);
        const estimate = defaultFormula(engine, deratedMemoryBytes(nominal));
        if (estimate > official) above.push(`${engine} ${instanceClass}: estimate ${estimate} > official ${official}`);
      }
    }
    expect(above).toEqual([]);
    expect(compared.length).toBeGreaterThan(20);
  });

  test.each([
    // [engine, min ACU, max ACU, expected] (aurora-serverless-v2.setting-capacity)
    ['aurora-postgresql', 1, 1, 189],
    ['aurora-postgresql', 1, 16, 3360],
    ['aurora-postgresql', 0.5, 16, 2000], // min ≤ 0.5 caps PostgreSQL at 2,000
    ['aurora-postgresql', 0, 64, 2000],
    ['aurora-postgresql', 2, 10, 1669], // between rows: the lower row
    ['aurora-postgresql', 2, 256, 5000],
    ['aurora-mysql', 0.5, 4, 135],
    ['aurora-mysql', 1, 128, 5000],
  ] as Array<[EngineKind, number, number, number]>)('%s Serverless v2 %d-%d ACU: %d', (engine, minCapacityAcu, maxCapacityAcu, expected) => {
    expect(estimateMaxConnections(engine, { kind: 'serverless-v2', minCapacityAcu, maxCapacityAcu })!.value).toBe(expected);
  });

  test.each([
    ['rds-postgresql', 'db.z9.large'],
    ['rds-postgresql', 'db.r8g.large'],
    ['rds-mysql', 'not-a-class'],
  ] as Array<[EngineKind, string]>)('%s %s is unknown rather than guessed', (engine, instanceClass) => {
    expect(estimateMaxConnections(engine, { kind: 'provisioned', instanceClass })).toBeUndefined();
  });

  test('Serverless v2 is not an RDS engine sizing', () => {
    expect(estimateMaxConnections('rds-postgresql', { kind: 'serverless-v2', minCapacityAcu: 1, maxCapacityAcu: 8 })).toBeUndefined();
  });

  test('class names parse with or without the db. prefix', () => {
    expect(parseInstanceClass('db.r6g.2xlarge')).toEqual({ family: 'r6g', size: '2xlarge' });
    expect(parseInstanceClass('t3.micro')).toEqual({ family: 't3', size: 'micro' });
    expect(nominalMemoryBytes('r6i.32xlarge')).toBe(1024 * GIB);
    expect(nominalMemoryBytes('db.m6g.24xlarge')).toBeUndefined();
  });
});

describe('resolveMaxConnections', () => {
  const base: CapacityInput = { engine: 'aurora-postgresql', instances: [], reservations: [] };

  test('an explicit budget value replaces estimates', () => {
    expect(resolveMaxConnections({
      ...base, maxConnections: 300,
      instances: [{ path: 'Db/Writer', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } }],
    })).toEqual({ value: 300, source: 'budget-property', basis: 'the budget\'s maxConnections' });
  });

  test('a lower parameter group value wins over the budget value; a higher one does not', () => {
    const withGroup = (value: number): CapacityInput => ({
      ...base, maxConnections: 300, instances: [{ path: 'Db/Writer', parameterGroupMaxConnections: value, parameterGroupPath: 'Db/Params' }],
    });
    expect(resolveMaxConnections(withGroup(200))).toEqual({ value: 200, source: 'parameter-group', basis: 'parameter group \'Db/Params\'' });
    expect(resolveMaxConnections(withGroup(900))?.source).toBe('budget-property');
    expect(resolveMaxConnections({ ...base, maxConnections: 300 })?.value).toBe(300);
  });

  test('the lowest instance wins, since a failover can promote any of them', () => {
    expect(resolveMaxConnections({
      ...base,
      instances: [
        { path: 'Db/Writer', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.xlarge' } },
        { path: 'Db/Reader', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } },
        { path: 'Db/Other', parameterGroupMaxConnections: 2000, parameterGroupPath: 'Db/Params' },
      ],
    })).toEqual({ value: 1722, source: 'aurora-class-table', basis: 'db.r6g.large' });
  });

  test('a parameter group value is exact and names its group', () => {
    expect(resolveMaxConnections({
      ...base, instances: [{ path: 'Db/Writer', parameterGroupMaxConnections: 500, parameterGroupPath: 'Db/Params', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } }],
    })).toEqual({ value: 500, source: 'parameter-group', basis: 'parameter group \'Db/Params\'' });
  });

  test('is unknown when any instance is unknown, or there is none', () => {
    expect(resolveMaxConnections(base)).toBeUndefined();
    expect(resolveMaxConnections({
      ...base,
      instances: [
        { path: 'Db/Writer', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } },
        { path: 'Db/Reader', sizing: { kind: 'provisioned', instanceClass: 'db.q1.large' } },
      ],
    })).toBeUndefined();
  });
});

describe('computeCapacity', () => {
  const explicit = (value: number) => ({ value, source: 'parameter-group' as const, basis: 'parameter group \'P\'' });

  test.each([
    // RDS for PostgreSQL reserves 3 + 2 slots: 100 → 95 usable (rds-postgresql-error-connection-slots).
    ['rds-postgresql', 100, 95],
    ['aurora-postgresql', 100, 97],
    ['rds-mysql', 100, 100],
    ['rds-mariadb', 100, 100],
    ['aurora-mysql', 100, 100],
  ] as Array<[EngineKind, number, number]>)('%s with max_connections %d has %d usable', (engine, m, usable) => {
    const capacity = computeCapacity({ engine, instances: [], reservations: [] }, explicit(m));
    expect(capacity).toMatchObject({ engineReserve: ENGINE_RESERVED_CONNECTIONS[engine], usable, effectiveCeiling: usable, limitedBy: 'database' });
  });

  test.each([
    // [M, percent, reservations, direct, expected ceiling, limited by]
    [1000, 100, 0, 0, 995 - PROXY_INTERNAL_CONNECTIONS, 'database'], // P 1000 > U 995
    [1000, 90, 0, 0, 900 - PROXY_INTERNAL_CONNECTIONS, 'proxy'],
    [1000, 95, 0, 0, 950 - PROXY_INTERNAL_CONNECTIONS, 'proxy'], // AWS example: 1000 × 95 % = 950
    [1000, 99, 20, 0, 975 - PROXY_INTERNAL_CONNECTIONS, 'database'],
    [450, 90, 0, 0, 405 - PROXY_INTERNAL_CONNECTIONS, 'proxy'],
    [101, 33, 0, 0, 33 - PROXY_INTERNAL_CONNECTIONS, 'proxy'], // floor(33.33)
    [100, 100, 0, 30, 65 - PROXY_INTERNAL_CONNECTIONS, 'database'],
  ])('M %d at %d %% with %d reserved and %d direct: ceiling %d (%s)', (m, percent, reserved, direct, ceiling, limitedBy) => {
    const capacity = computeCapacity({
      engine: 'rds-postgresql', instances: [], directDemand: direct,
      reservations: reserved ? [{ name: 'migrations', connections: reserved }] : [],
      proxy: { path: 'Data/Proxy', maxConnectionsPercent: percent, targetsDatabase: true },
    }, explicit(m));
    expect(capacity.effectiveCeiling).toBe(ceiling);
    expect(capacity.limitedBy).toBe(limitedBy);
  });

  test('reservations are summed and sorted by name', () => {
    const capacity = computeCapacity({
      engine: 'rds-mysql', instances: [],
      reservations: [{ name: 'migrations', connections: 10 }, { name: 'admin', connections: 5 }],
    }, explicit(200));
    expect(capacity.reservations.map((r) => r.name)).toEqual(['admin', 'migrations']);
    expect(capacity).toMatchObject({ reservedTotal: 15, usable: 185 });
  });

  test('a ceiling never goes below zero', () => {
    const capacity = computeCapacity({ engine: 'rds-postgresql', instances: [], reservations: [{ name: 'all', connections: 500 }] }, explicit(100));
    expect(capacity.usable).toBe(-405);
    expect(capacity.effectiveCeiling).toBe(0);
  });
});
