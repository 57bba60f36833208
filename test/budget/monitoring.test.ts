import { evaluateBudget, monitoringLevels } from '../../lib/budget';
import { budget, ecsService, ecsTask, postgresBehindProxy } from './fixtures';

describe('monitoringLevels', () => {
  test.each<[string, Parameters<typeof budget>, number, { alarm: number; database: number; client?: number }]>([
    // ceiling floor(1000 × 50 %) − 5 = 495; Api 200.
    ['behind a proxy: the database peak adds RDS Proxy\'s own connections', [postgresBehindProxy(1000, 50), [ecsService('Api', { maxTasks: 10, pool: 10 })]], 80,
      { alarm: 800, database: 205, client: 200 }],
    // Reservations: 10 direct and 5 through the proxy; a direct job 2 × 5 = 10.
    ['reservations and direct clients count on the database; only those through the proxy on its clients', [postgresBehindProxy(1000, 50, {
      reservations: [{ name: 'admin', connections: 10 }, { name: 'bi', connections: 5, throughProxy: true }],
    }), [ecsService('Api', { maxTasks: 10, pool: 10 }), ecsTask('Job', { runs: 1, tasksPerRun: 2, route: 'direct' })]], 75,
      { alarm: 750, database: 200 + 5 + 10 + 15, client: 205 }],
    ['without a proxy there is no client peak; the alarm level rounds up', [{ engine: 'rds-postgresql', instances: [{ path: 'Db', parameterGroupMaxConnections: 333 }], reservations: [] }, [ecsService('Api', { maxTasks: 1, pool: 10 })]], 80,
      { alarm: 267, database: 20, client: undefined }],
  ])('%s', (_name, args, percent, expected) => {
    const levels = monitoringLevels(evaluateBudget(budget(...args)), percent);
    expect(levels && { alarm: levels.databaseConnectionsAlarm, database: levels.budgetedDatabasePeak, client: levels.budgetedClientPeak }).toEqual(expected);
  });

  test('is undefined when max_connections is unknown', () => {
    expect(monitoringLevels(evaluateBudget(budget({ engine: 'rds-postgresql', instances: [{ path: 'Db' }], reservations: [] }, [])), 80)).toBeUndefined();
  });
});
