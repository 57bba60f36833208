import { percentile, RehearsalPlanError, rehearsalPlan } from '../../lib/budget';
import { budget, ecsService, ecsTask, ledgerOf, postgresBehindProxy } from './fixtures';

// ceiling floor(1000 × 50 %) − 5 = 495; Api 10 tasks × 200 % × pool 10 = 200; a direct job 2 tasks × 5 = 10.
const ledger = ledgerOf(budget(postgresBehindProxy(1000, 50, {
  reservations: [{ name: 'admin', connections: 5 }, { name: 'bi', connections: 3, throughProxy: true }],
}), [ecsService('Web/Api', { maxTasks: 10, pool: 10 }), ecsService('Web/Worker', { maxTasks: 1, pool: 2, overflowPerPool: 1, processes: 2 }),
  ecsTask('Jobs/Sync', { runs: 1, tasksPerRun: 2, route: 'direct' })]));

describe('rehearsalPlan', () => {
  test('shapes PostgreSQL like the capacity and opens exactly the ledger\'s worst case, reservations included', () => {
    expect(rehearsalPlan(ledger)).toEqual({
      budgetPath: 'Data/Budget',
      maxConnections: 1000,
      superuserReservedConnections: 5,
      // The proxy ceiling 500, less the 5 RDS Proxy keeps for itself.
      proxyServerConnections: 495,
      clients: [
        { name: 'Jobs/Sync', route: 'direct', connections: 10, poolSize: 5 },
        { name: 'Web/Api', route: 'proxy', connections: 200, poolSize: 10 },
        // 2 tasks × 2 processes × (2 + 1 overflow).
        { name: 'Web/Worker', route: 'proxy', connections: 12, poolSize: 2 },
        { name: 'reservation \'admin\'', route: 'direct', connections: 5 },
        { name: 'reservation \'bi\'', route: 'proxy', connections: 3 },
      ],
      surging: [],
    });
  });

  test.each([[20, 20, 0], [100, 5, 0], [100, 6, 1]])('gives a proxy of max_connections %i at %i %% %i server connections, never fewer than none', (max, percent, expected) => {
    // floor(max × percent %) less the 5 RDS Proxy keeps: 4 − 5, 5 − 5, 6 − 5.
    expect(rehearsalPlan(ledgerOf(budget(postgresBehindProxy(max, percent), [ecsService('Web/Api', { maxTasks: 1, pool: 1 })]))).proxyServerConnections).toBe(expected);
  });

  describe('a budget that deploys in waves', () => {
    const chained = (c: ReturnType<typeof ecsService>) => ({ ...c, wave: { chain: 'Web/Api', service: c.path } });
    // Api 10 tasks (200 at peak), Worker 6 tasks (120 at peak), both pool 10 and chained.
    const waves = ledgerOf(budget(postgresBehindProxy(1000, 50), [
      chained(ecsService('Web/Api', { maxTasks: 10, pool: 10 })), chained(ecsService('Web/Worker', { maxTasks: 6, pool: 10 })),
    ]));

    test('replays the credited worst case: every chained service at its most tasks, the largest surge on top', () => {
      const plan = rehearsalPlan(waves);
      expect(plan.surging).toEqual(['Web/Api']);
      expect(plan.clients.map((c) => [c.name, c.connections])).toEqual([['Web/Api', 200], ['Web/Worker', 60]]);
      expect(plan.clients.reduce((n, c) => n + c.connections, 0)).toBe(waves.totals.demand);
    });

    test('replays another wave with --surging, and the largest surge at the pool sizes replayed', () => {
      expect(rehearsalPlan(waves, undefined, 'Web/Worker').clients.map((c) => [c.name, c.connections])).toEqual([['Web/Api', 100], ['Web/Worker', 120]]);
      // With Worker's pool at 40 its surge (240) is the largest.
      expect(rehearsalPlan(waves, (c) => (c.path === 'Web/Worker' ? 40 : undefined)).surging).toEqual(['Web/Worker']);
    });

    test('refuses a service that is not chained, naming the chained ones', () => {
      expect(() => rehearsalPlan(waves, undefined, 'Web/Nope')).toThrow(new RehearsalPlanError(
        "budget 'Data/Budget' deploys no service 'Web/Nope' in waves; its chained services are 'Web/Api', 'Web/Worker'."));
      expect(() => rehearsalPlan(ledger, undefined, 'Web/Api')).toThrow(
        "budget 'Data/Budget' deploys no service 'Web/Api' in waves; it deploys every service at once (deployInWaves is off), so every service surges.");
    });
  });

  test('replays other pool sizes on the same topology', () => {
    expect(rehearsalPlan(ledger, () => 10).clients.slice(0, 3).map((c) => [c.name, c.connections])).toEqual([
      ['Jobs/Sync', 20], ['Web/Api', 200], ['Web/Worker', 44],
    ]);
    expect(rehearsalPlan(ledger, (c) => (c.path === 'Web/Api' ? 12 : undefined)).clients[1].connections).toBe(240);
  });

  test('fails for another engine, or without a known max_connections', () => {
    const mysql = { ...ledger, capacity: { ...ledger.capacity!, engine: 'rds-mysql' as const } };
    expect(() => rehearsalPlan(mysql)).toThrow(new RehearsalPlanError('budget \'Data/Budget\' is for rds-mysql; rehearsals run on PostgreSQL only.'));
    expect(() => rehearsalPlan({ ...ledger, capacity: null })).toThrow('budget \'Data/Budget\' has no known max_connections; there is nothing to rehearse against.');
  });
});

describe('rehearsalPlan refuses numbers it cannot multiply', () => {
  const [api] = ledger.consumers.filter((c) => c.path === 'Web/Api');
  const withApi = (change: (c: any) => void) => {
    const broken = JSON.parse(JSON.stringify(api));
    change(broken);
    return { ...ledger, consumers: ledger.consumers.map((c) => (c.path === 'Web/Api' ? broken : c)) };
  };
  const fix = '. A rehearsal opens every consumer\'s worst case from these numbers: fix the budget\'s errors (connection-budget report lists them), '
    + 'or synthesize the app again with this library version if the ledger was damaged or edited.';

  test.each<[string, (c: any) => void, string]>([
    ['connections.processes is missing', (c) => delete c.connections.processes, 'connections.processes is missing'],
    ['connections.poolsPerProcess is null', (c) => { c.connections.poolsPerProcess = null; }, 'connections.poolsPerProcess is null'],
    ['connections.overflowPerPool is a string', (c) => { c.connections.overflowPerPool = '1'; }, 'connections.overflowPerPool is "1"'],
    ['pool.size is fractional', (c) => { c.pool.size = 1.5; }, 'pool.size is 1.5'],
    ['instances.peak is negative', (c) => { c.instances.peak = -2; }, 'instances.peak is -2'],
  ])('fails when a consumer\'s %s, naming the consumer and the field', (_, change, problem) => {
    expect(() => rehearsalPlan(withApi(change))).toThrow(new RehearsalPlanError(
      `budget 'Data/Budget' cannot be rehearsed: consumer 'Web/Api': ${problem}, not a whole number of at least 0${fix}`));
  });

  test('fails when a consumer\'s worst case is unknown (instances is null), rather than opening nothing for it', () => {
    expect(() => rehearsalPlan(withApi((c) => { c.instances = null; }))).toThrow(new RehearsalPlanError(
      `budget 'Data/Budget' cannot be rehearsed: consumer 'Web/Api': instances is null, so its worst case is unknown${fix}`));
  });

  test('fails when a replayed pool size is not a whole number, and lists every problem at once', () => {
    expect(() => rehearsalPlan(withApi((c) => delete c.connections.processes), () => 2.5)).toThrow(new RehearsalPlanError(
      'budget \'Data/Budget\' cannot be rehearsed: consumer \'Jobs/Sync\': pool.size is 2.5, not a whole number of at least 0; '
      + 'consumer \'Web/Api\': pool.size is 2.5, not a whole number of at least 0; consumer \'Web/Api\': connections.processes is missing, '
      + 'not a whole number of at least 0; consumer \'Web/Worker\': pool.size is 2.5, not a whole number of at least 0'
      + fix));
  });

  test('fails when max_connections is not a whole number of at least 1', () => {
    const zero = { ...ledger, capacity: { ...ledger.capacity!, maxConnections: { ...ledger.capacity!.maxConnections, value: 0 } } };
    expect(() => rehearsalPlan(zero)).toThrow(new RehearsalPlanError(
      `budget 'Data/Budget' cannot be rehearsed: capacity: maxConnections.value is 0, not a whole number of at least 1${fix}`));
  });
});

test.each<[number[], number, number | null]>([
  [[], 50, null], [[5], 99, 5], [[1, 2, 3, 4], 50, 2], [[1, 2, 3, 4], 99, 4], [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
])('percentile(%j, %i) is %s (nearest rank)', (values, p, expected) => {
  expect(percentile(values, p)).toBe(expected);
});
