import * as fc from 'fast-check';
import {
  consumerLine, consumerMetadataKey, LARGEST_MAX_CONNECTIONS, LEDGER_SCHEMA, LEDGER_SCHEMA_VERSION, ledgerMetadataKey, parseLedger, sortKeysDeep, summaryLine, summaryMetadataKey,
} from '../../lib/budget';
import { budget, ecsService, ecsTask, lambdaFunction, ledgerOf, postgresBehindProxy } from './fixtures';

// ceiling floor(400 × 60 %) − 5 = 235; Web/Api 10 tasks × 200 % × pool 10 = 200.
const input = budget(postgresBehindProxy(400, 60, { reservations: [{ name: 'migrations', connections: 10 }] }), [
  ecsService('Web/Api', { maxTasks: 10, pool: 10 }),
  ecsService('Jobs/Worker', { maxTasks: 1, pool: 2, overflowPerPool: 1, processes: 2 }),
]);

describe('buildLedger', () => {
  const ledger = ledgerOf(input);

  test('records the capacity breakdown with the source of max_connections', () => {
    expect(ledger.schema).toBe(LEDGER_SCHEMA);
    expect(ledger.schemaVersion).toBe(4);
    expect(ledger.budgetPath).toBe('Data/Budget');
    expect(ledger.capacity).toEqual({
      engine: 'rds-postgresql',
      maxConnections: { value: 400, source: 'parameter-group', basis: 'parameter group \'Data/Params\'' },
      engineReserve: 5,
      engineReserveBasis: null,
      userConnectionLimit: null,
      reservations: [{ name: 'migrations', connections: 10, throughProxy: false }],
      reservedTotal: 10,
      reservedThroughProxy: 0,
      directDemand: 0,
      usable: 385,
      proxy: { path: 'Data/Proxy', maxConnectionsPercent: 60, derived: false, ceiling: 240, internalConnections: 5, idleClientTimeoutSeconds: 1800 },
      ceiling: 235,
      limitedBy: 'proxy',
      explanation: 'max_connections 400 (parameter group \'Data/Params\') × 60 % = 240, less 5 kept by RDS Proxy',
    });
  });

  test('records every consumer with its shape, multipliers, pool settings and demands, sorted by path', () => {
    expect(ledger.consumers.map((c) => c.path)).toEqual(['Jobs/Worker', 'Web/Api']);
    const api = ledger.consumers[1];
    expect(api).toEqual({
      path: 'Web/Api',
      kind: 'ecs-service',
      route: 'proxy',
      inputs: {
        resource: { stack: 'Web', stackName: 'Web', logicalId: 'WebApi' },
        container: 'app',
        preset: { framework: 'generic', prefix: 'DB_POOL' },
        minIdleConnections: null,
        acquireTimeoutMs: null,
        bounds: { maxTasks: null, maxConcurrency: null, maxConcurrentRuns: null, tasksPerRun: null },
        securityGroups: [],
      },
      shape: { kind: 'ecs-service', maxTasks: 10, maxTasksBasis: 'autoscaling maximum', deployment: { kind: 'rolling', maximumPercent: 200 } },
      bound: { name: 'autoscaling maximum', value: 10 },
      instances: { steady: 10, peak: 20, explanation: '10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks' },
      connections: { processes: 1, poolsPerProcess: 1, overflowPerPool: 0 },
      pool: { request: { kind: 'fixed', size: 10 }, size: 10 },
      poolSettings: {
        framework: 'generic',
        maxSize: 10,
        minIdle: 1,
        maxOverflow: 0,
        acquireTimeoutMs: 30000,
        idleTimeoutMs: 600000,
        maxLifetimeMs: 1800000,
        variables: {
          DB_POOL_ACQUIRE_TIMEOUT_MS: '30000',
          DB_POOL_IDLE_TIMEOUT_MS: '600000',
          DB_POOL_MAX: '10',
          DB_POOL_MAX_LIFETIME_MS: '1800000',
          DB_POOL_MAX_OVERFLOW: '0',
          DB_POOL_MIN: '1',
        },
      },
      connectionsPerInstance: 10,
      demand: 200,
      steadyDemand: 100,
      wave: null,
    });
    // 2 tasks × 2 processes × (2 + 1 overflow) = 12.
    expect(ledger.consumers[0].demand).toBe(12);
  });

  test('records totals, utilization to one decimal, and problems', () => {
    expect(ledger.totals).toEqual({ demand: 212, uncreditedDemand: 212, chains: [], directDemand: 0, steadyDemand: 106, required: 212, ceiling: 235, headroom: 23, utilizationPercent: 90.2 });
    expect(ledger.problems.map((p) => [p.id, p.level, p.acknowledged])).toEqual([['CB-NEAR-CAPACITY', 'warning', false]]);
    expect(ledgerOf(input, ['CB-NEAR-CAPACITY']).problems[0].acknowledged).toBe(true);
  });

  test('records null, not absent, where max_connections is unknown', () => {
    const unknown = ledgerOf(budget({ engine: 'rds-postgresql', instances: [{ path: 'Data/Db' }], reservations: [] }, [ecsService('Web/Api', { maxTasks: 1 })]));
    expect(unknown.capacity).toBeNull();
    expect(unknown.totals).toMatchObject({ ceiling: null, headroom: null, utilizationPercent: null });
    expect(unknown.problems.map((p) => p.id)).toContain('CB-UNKNOWN-MAX-CONNECTIONS');
  });

  test('writes every object with sorted keys', () => {
    const text = JSON.stringify(ledger);
    expect(JSON.stringify(sortKeysDeep(JSON.parse(text)))).toBe(text);
    expect(Object.keys(ledger)).toEqual(['budgetPath', 'capacity', 'consumers', 'inputs', 'problems', 'schema', 'schemaVersion', 'startup', 'totals']);
  });

  test('sorting keeps a key named __proto__ (which a template may hold) as a key, not a prototype', () => {
    const sorted = sortKeysDeep(JSON.parse('{"b":1,"__proto__":{"x":2},"a":[{"d":1,"c":2}],"u":null}'));
    expect(JSON.stringify(sorted)).toBe('{"__proto__":{"x":2},"a":[{"c":2,"d":1}],"b":1,"u":null}');
    expect(Object.getPrototypeOf(sorted)).toBe(Object.prototype);
  });

  test('is byte-identical for the same budget whatever the registration order', () => {
    const consumer = fc.oneof(
      fc.record({ tasks: fc.integer({ min: 0, max: 20 }), pool: fc.integer({ min: 1, max: 20 }) }).map((c) => (path: string) => ecsService(path, { maxTasks: c.tasks, pool: c.pool })),
      fc.integer({ min: 1, max: 50 }).map((concurrency) => (path: string) => lambdaFunction(path, { maxConcurrency: concurrency })),
      fc.integer({ min: 1, max: 4 }).map((runs) => (path: string) => ecsTask(path, { runs, tasksPerRun: 2 })),
    );
    const makersAndOrder = fc.array(consumer, { minLength: 1, maxLength: 8 }).chain((makers) => fc.tuple(
      fc.constant(makers),
      fc.shuffledSubarray(makers.map((_, i) => i), { minLength: makers.length, maxLength: makers.length }),
    ));
    fc.assert(fc.property(makersAndOrder, ([makers, order]) => {
      const consumers = makers.map((make, i) => make(`Stack/Consumer${i}`));
      const capacity = postgresBehindProxy(2000, 90);
      return JSON.stringify(ledgerOf(budget(capacity, consumers))) === JSON.stringify(ledgerOf(budget(capacity, order.map((i) => consumers[i]))));
    }), { numRuns: 300 });
  });
});

describe('reviewer lines for template Metadata', () => {
  const ledger = ledgerOf(input);

  test('keys name the budget and the consumer', () => {
    expect(summaryMetadataKey('Data/Budget')).toBe('ConnectionBudget:Data/Budget');
    expect(consumerMetadataKey('Data/Budget', 'Web/Api')).toBe('ConnectionBudget:Data/Budget:Web/Api');
    expect(ledgerMetadataKey('Data/Budget')).toBe('ConnectionBudgetLedger:Data/Budget');
  });

  test('the summary gives demand, ceiling, utilization, headroom, max_connections and open problems', () => {
    expect(summaryLine(ledger)).toBe('worst case 212 of 235 (90.2 %), headroom 23; max_connections 400 (parameter group), proxy 60 %; 1 warning: CB-NEAR-CAPACITY');
    expect(summaryLine(ledgerOf(input, ['CB-NEAR-CAPACITY']))).toBe('worst case 212 of 235 (90.2 %), headroom 23; max_connections 400 (parameter group), proxy 60 %');
  });

  test('with waves, the summary says what they save and whose surge counts, and a chained consumer says it deploys in waves', () => {
    const chained = (c: ReturnType<typeof ecsService>) => ({ ...c, wave: { chain: 'Web/Api', service: c.path } });
    const waves = ledgerOf(budget(postgresBehindProxy(400, 60), [
      chained(ecsService('Web/Api', { maxTasks: 10, pool: 10 })), chained(ecsService('Web/Worker', { maxTasks: 4, pool: 5 })),
    ]));
    // 100 + 20 steady and Api's 100 surge: Worker's 20 surge is saved.
    expect(summaryLine(waves)).toBe('worst case 220 of 235 (93.6 %), headroom 15; max_connections 400 (parameter group), proxy 60 %; '
      + 'deploying in waves saves 20 connections, largest surge \'Web/Api\' 100; 1 warning: CB-NEAR-CAPACITY');
    expect(consumerLine(waves.consumers[1])).toBe('40 = 8 tasks × pool 5 (4 tasks (autoscaling maximum) × 200 % rolling surge); steady 20; deploys in waves');
  });

  test('a consumer line gives its worst case with every multiplier other than 1, and says its peak once', () => {
    expect(consumerLine(ledger.consumers[1])).toBe('200 = 20 tasks × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100');
    expect(consumerLine(ledger.consumers[0])).toBe('12 = 2 tasks × 2 processes × (pool 2 + overflow 1) (1 task (autoscaling maximum) × 200 % rolling surge); steady 6');
    const pools = ledgerOf(budget(postgresBehindProxy(400, 60), [ecsService('Web/Api', { maxTasks: 2, pool: 3, processes: 3, poolsPerProcess: 2 })])).consumers[0];
    expect(consumerLine(pools)).toBe('72 = 4 tasks × 3 processes × 2 pools × pool 3 (2 tasks (autoscaling maximum) × 200 % rolling surge); steady 36');
    const lambda = ledgerOf(budget(postgresBehindProxy(400, 60), [lambdaFunction('Fn', { maxConcurrency: 5 })])).consumers[0];
    expect(consumerLine(lambda)).toBe('5 = 5 environments × pool 1 (5 execution environments (reserved concurrency)); steady 5');
  });

  test('no line contains " to ", which cdk diff puts between the old and the new value', () => {
    expect(summaryLine(ledger)).not.toContain(' to ');
    ledger.consumers.forEach((c) => expect(consumerLine(c)).not.toContain(' to '));
  });
  test('cdk diff prints keys and lines to a terminal, so the names in them are written out', () => {
    const named = ledgerOf(budget(postgresBehindProxy(400, 60, {
      instances: [{ path: 'Data/Db', parameterGroupMaxConnections: 400, parameterGroupPath: 'Data/\u001b[31mParams\r' }],
    }), [ecsService('Web/Api', { maxTasks: 2, pool: 10, maxTasksBasis: 'autoscaling \u202emaximum' })]));
    // The summary names no parameter group (its record does), so no name of one reaches the terminal.
    expect(summaryLine(named)).toContain('max_connections 400 (parameter group), proxy 60 %');
    expect(consumerLine(named.consumers[0])).toContain('(2 tasks (autoscaling \\u202emaximum) × 200 % rolling surge)');
    expect(summaryMetadataKey('Data/\nBudget')).toBe('ConnectionBudget:Data/\\nBudget');
    expect(consumerMetadataKey('Data/Budget', 'Web/\u001b[2JApi')).toBe('ConnectionBudget:Data/Budget:Web/\\x1b[2JApi');
    // Readers match a budget by its ledger's key, so that key keeps the path exact.
    expect(ledgerMetadataKey('Data/\nBudget')).toBe('ConnectionBudgetLedger:Data/\nBudget');
  });
});

describe('parseLedger', () => {
  const ledger = ledgerOf(input);

  test('reads back a ledger that went through JSON', () => {
    expect(parseLedger(JSON.parse(JSON.stringify(ledger)), 'x')).toEqual(ledger);
  });

  test('fails when the value is not a ledger', () => {
    expect(() => parseLedger({ hello: 1 }, 'the ledger \'B\' in \'t.json\''))
      .toThrow('the ledger \'B\' in \'t.json\' is not a connection budget ledger (no "schema": "cdk-connection-budget/ledger").');
  });

  test('fails on another schema version, naming the versions it reads and the fix', () => {
    expect(() => parseLedger({ ...ledger, schemaVersion: 5 }, 'the ledger \'B\' in \'t.json\''))
      .toThrow(`the ledger 'B' in 't.json' has ledger schema version 5, but this connection-budget reads versions 1, 2, 3, and ${LEDGER_SCHEMA_VERSION}. `
        + 'Run the connection-budget CLI of the library version that synthesized it.');
  });

  test('reads a version 3 ledger as version 4 without waves: every consumer at its peak, no start-up figures', () => {
    const v3 = JSON.parse(JSON.stringify(ledger));
    v3.schemaVersion = 3;
    delete v3.startup;
    delete v3.inputs.waves;
    delete v3.totals.uncreditedDemand;
    delete v3.totals.chains;
    for (const c of v3.consumers) delete c.wave;
    const read = parseLedger(v3, 'L');
    expect(read.totals.uncreditedDemand).toBe(read.totals.demand);
    expect(read.totals.chains).toEqual([]);
    expect(read.startup).toBeNull();
    expect(read.inputs!.waves).toBeNull();
    expect(read.consumers.map((c) => c.wave)).toEqual([null, null]);
  });

  test('fails on a version 4 ledger without its waves and start-up fields, naming each', () => {
    const broken = JSON.parse(JSON.stringify(ledger));
    delete broken.startup;
    broken.totals.chains = [{ chain: 'A', services: [1], largest: {} }];
    broken.consumers[0].wave = { chain: 'A' };
    expect(() => parseLedger(broken, 'L')).toThrow('L is not a valid version 4 ledger: totals.chains[0].services[0] must be a string; '
      + 'totals.chains[0].largest.service must be a string; totals.chains[0].largest.connections must be a number; startup must be an object; '
      + 'consumers[0].wave.service must be a string.');
  });

  test('reads a version 2 ledger as version 3 without an allocation', () => {
    const { allocation: _allocation, ...inputs } = ledger.inputs!;
    expect(parseLedger({ ...ledger, schemaVersion: 2, inputs }, 'L').inputs!.allocation).toBeNull();
  });

  test('reads a version 1 ledger (without inputs) for a diff\'s base', () => {
    const { inputs: _inputs, ...v1 } = JSON.parse(JSON.stringify(ledger));
    v1.schemaVersion = 1;
    v1.consumers = v1.consumers.map(({ inputs: _ci, ...c }: Record<string, unknown>) => c);
    expect(parseLedger(v1, 'L').inputs).toBeNull();
  });

  test('fails on missing or mistyped fields, naming each within its bounds', () => {
    const broken = {
      ...ledger,
      totals: { ...ledger.totals, demand: '212' },
      consumers: [{ ...ledger.consumers[0], pool: {}, inputs: { ...ledger.consumers[0].inputs, bounds: { ...ledger.consumers[0].inputs!.bounds, maxTasks: 0 } } }],
    };
    expect(() => parseLedger(broken, 'L')).toThrow('L is not a valid version 4 ledger: totals.demand must be a number; consumers[0].pool.size must be a whole number from 0 to 262143, got undefined; '
      + 'consumers[0].pool.request must be an object; consumers[0].inputs.bounds.maxTasks must be a whole number from 1 to 1000000, got 0.');
  });

  test('fails on a capacity whose max_connections origin, reservations or proxy derivation a diff cannot read', () => {
    const capacity = {
      ...ledger.capacity!,
      maxConnections: { value: 400, source: 'guess', basis: 7 },
      reservations: [{ name: 'migrations', connections: -1 }],
      proxy: { ...ledger.capacity!.proxy!, derived: 'yes' },
    };
    expect(() => parseLedger({ ...ledger, capacity }, 'L')).toThrow('L is not a valid version 4 ledger: capacity.maxConnections.source must be one of '
      + 'budget-property, parameter-group, aurora-class-table, serverless-v2-table, memory-estimate, allocation, got "guess"; capacity.maxConnections.basis must be a string; '
      + `capacity.reservations[0].connections must be a whole number from 0 to ${LARGEST_MAX_CONNECTIONS}, got -1; capacity.reservations[0].throughProxy must be true or false; `
      + 'capacity.proxy.derived must be true or false.');
  });

  test('the variables a consumer was delivered are environment variable names with text values: the readers match those names in what deploys', () => {
    const withVariables = (variables: unknown) => ({ ...ledger, consumers: [{ ...ledger.consumers[0], poolSettings: { ...ledger.consumers[0].poolSettings, variables } }] });
    expect(() => parseLedger(withVariables({ '(.+)+!': '10', DB_POOL_MAX: 10 }), 'L')).toThrow('L is not a valid version 4 ledger: consumers[0].poolSettings.variables has "(.+)+!", '
      + 'not an environment variable name (letters, digits and underscores, not starting with a digit); consumers[0].poolSettings.variables.DB_POOL_MAX must be a string.');
    expect(parseLedger(withVariables({ DB_POOL_MAX: '10' }), 'L').consumers[0].poolSettings.variables).toEqual({ DB_POOL_MAX: '10' });
  });

  test('a reservation\'s route and Data API flag are checked', () => {
    const reservation = { name: 'r', connections: 1, clients: [] };
    const withReservations = (...reservations: unknown[]) => ({ ...ledger, inputs: { ...ledger.inputs!, reservations } });
    expect(parseLedger(withReservations({ ...reservation, throughProxy: false, dataApi: true }), 'L').inputs!.reservations[0].dataApi).toBe(true);
    expect(() => parseLedger(withReservations({ ...reservation, throughProxy: 'no', dataApi: false }), 'L')).toThrow(
      'L is not a valid version 4 ledger: inputs.reservations[0].throughProxy must be true or false; inputs.reservations[0].dataApi must be true when present.');
  });

  test('the Serverless v2 capacity a BudgetedDatabase wrote max_connections for is read when present, and checked', () => {
    const withDefault = (serverlessV2Default: unknown) => ({ ...ledger, inputs: { ...ledger.inputs!, serverlessV2Default } });
    expect(parseLedger(withDefault({ path: 'Data/Db', minCapacityAcu: 0.5, maxCapacityAcu: 2 }), 'L').inputs!.serverlessV2Default)
      .toEqual({ path: 'Data/Db', minCapacityAcu: 0.5, maxCapacityAcu: 2 });
    expect(() => parseLedger(withDefault({ path: 'Data/Db', maxCapacityAcu: '2' }), 'L')).toThrow(
      'L is not a valid version 4 ledger: inputs.serverlessV2Default.minCapacityAcu must be a number; inputs.serverlessV2Default.maxCapacityAcu must be a number.');
  });
});
