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

test.each<[number[], number, number | null]>([
  [[], 50, null], [[5], 99, 5], [[1, 2, 3, 4], 50, 2], [[1, 2, 3, 4], 99, 4], [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
])('percentile(%j, %i) is %s (nearest rank)', (values, p, expected) => {
  expect(percentile(values, p)).toBe(expected);
});
