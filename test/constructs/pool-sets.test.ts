import { Token, Tokenization, aws_ecs as ecs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PoolSettingsPreset, PoolSize } from '../../lib';
import { harness, synthErrors } from './harness';
import { ledgerOf } from '../helpers/ledgers';

/** The Environment of a named container in the first task definition whose logical ID starts with `id`. */
function containerEnvironment(template: Template, id: string, container: string): Record<string, string> {
  const [, definition] = Object.entries<any>(template.toJSON().Resources).find(([logicalId, r]) => r.Type === 'AWS::ECS::TaskDefinition' && logicalId.startsWith(id))!;
  const found = definition.Properties.ContainerDefinitions.find((c: any) => c.Name === container);
  return Object.fromEntries((found.Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

// One task runs a gunicorn/SQLAlchemy API (2 processes, SQLAlchemy 5 + overflow 2, and a second client of 2 for a
// cache database) and a Celery worker container (a derived share), as in the trial behind issue 14.
describe('several pool sets per task, and the handles add* returns', () => {
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'AppTask');
  taskDefinition.addContainer('api', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/api:1') });
  taskDefinition.addContainer('celery', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/api:1') });
  const sidecar = taskDefinition.addContainer('metrics', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/exporter:1') });
  const service = new ecs.FargateService(h.services, 'App', { cluster: h.cluster, taskDefinition, desiredCount: 4, minHealthyPercent: 100 });
  const api = h.budget.addEcsService(service, {
    containerName: 'api', processesPerTask: 2, pool: PoolSize.fixed(5), overflowPerPool: 2, poolSettings: PoolSettingsPreset.sqlAlchemy(),
  });
  const cache = h.budget.addEcsService(service, {
    containerName: 'api', poolName: 'cache', processesPerTask: 2, pool: PoolSize.fixed(2), poolSettings: PoolSettingsPreset.generic('CACHE_DB_POOL'),
  });
  const celery = h.budget.addEcsService(service, { containerName: 'celery', pool: PoolSize.share({ min: 1, max: 30 }) });
  // The sidecar reads the worker's derived pool size through the handle.
  sidecar.addEnvironment('WATCHED_CONSUMER_LIMIT', Tokenization.stringifyNumber(celery.poolSize));
  sidecar.addEnvironment('WATCHED_CONSUMER_SETTING', celery.variables.DB_POOL_MAX);
  const errors = synthErrors(h.app);
  const template = Template.fromStack(h.services);
  const evaluation = h.budget._evaluation();
  const demandOf = (path: string) => evaluation.consumers.find((c) => c.input.path === path)!.demand;

  test('synth passes', () => {
    expect(errors).toEqual([]);
  });

  test('each pool set is its own consumer, and the worst case adds them up', () => {
    expect(evaluation.consumers.map((c) => c.input.path)).toEqual(['Services/App', 'Services/App#cache', 'Services/App[celery]']);
    expect([api.path, cache.path, celery.path]).toEqual(['Services/App', 'Services/App#cache', 'Services/App[celery]']);
    // 8 peak tasks × 2 processes × (5 + 2) = 112; × 2 processes × 2 = 32.
    expect(demandOf('Services/App')).toBe(112);
    expect(demandOf('Services/App#cache')).toBe(32);
    // The rest of the ceiling 495: (495 − 144) / 8 tasks = 43, capped at 30: 240.
    expect(demandOf('Services/App[celery]')).toBe(240);
    expect(evaluation.totals.demand).toBe(384);
  });

  test('each set gets its own variables in its container', () => {
    expect(containerEnvironment(template, 'AppTask', 'api')).toEqual(expect.objectContaining({
      SQLALCHEMY_POOL_SIZE: '5', SQLALCHEMY_MAX_OVERFLOW: '2', CACHE_DB_POOL_MAX: '2', CACHE_DB_POOL_MAX_OVERFLOW: '0',
    }));
    expect(containerEnvironment(template, 'AppTask', 'celery')).toEqual(expect.objectContaining({ DB_POOL_MAX: '30' }));
  });

  test('the handles deploy the derived values where the app passes them', () => {
    expect(containerEnvironment(template, 'AppTask', 'metrics')).toEqual({ WATCHED_CONSUMER_LIMIT: '30', WATCHED_CONSUMER_SETTING: '30' });
    expect(Token.isUnresolved(api.poolSize)).toBe(true);
    expect(Object.keys(cache.variables)).toEqual([
      'CACHE_DB_POOL_MAX', 'CACHE_DB_POOL_MIN', 'CACHE_DB_POOL_MAX_OVERFLOW', 'CACHE_DB_POOL_ACQUIRE_TIMEOUT_MS', 'CACHE_DB_POOL_IDLE_TIMEOUT_MS', 'CACHE_DB_POOL_MAX_LIFETIME_MS',
      'CACHE_DB_HOST', 'CACHE_DB_PORT', 'CACHE_DB_NAME',
    ]);
  });

  test('the ledger lists each set with its container', () => {
    const ledger = ledgerOf(h.data);
    expect(ledger.consumers.map((c: any) => [c.path, c.inputs.container, c.poolSettings.framework])).toEqual([
      ['Services/App', 'api', 'sqlalchemy'], ['Services/App#cache', 'api', 'generic'], ['Services/App[celery]', 'celery', 'generic'],
    ]);
  });
});

describe('registering pool sets: errors', () => {
  test('a second set on the same container without a poolName names the way out', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const service = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(5) });
    expect(() => h.budget.addEcsService(service, { pool: PoolSize.fixed(2), poolSettings: PoolSettingsPreset.generic('CACHE_DB_POOL') })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): the consumer is already registered with this budget; register a container's "
      + 'second pool set with its own poolName and poolSettings, or another container with containerName.');
    h.budget.addEcsService(service, { poolName: 'cache', pool: PoolSize.fixed(2), poolSettings: PoolSettingsPreset.generic('CACHE_DB_POOL') });
    expect(() => h.budget.addEcsService(service, { poolName: 'cache', pool: PoolSize.fixed(2), poolSettings: PoolSettingsPreset.generic('OTHER') })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): its pool set 'cache' is already registered with this budget; register a container's "
      + 'second pool set with its own poolName and poolSettings, or another container with containerName.');
  });

  test('a second set with the same variables is refused, naming them', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const service = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(5) });
    expect(() => h.budget.addEcsService(service, { poolName: 'cache', pool: PoolSize.fixed(2) })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): container 'app' of 'Services/ApiTask' already receives DB_POOL_MAX for 'Services/Api'. "
      + "A second pool set of one container needs a preset with its own variables (for example PoolSettingsPreset.generic('CACHE_DB_POOL')); "
      + 'services that share a task definition share its variables, and so one pool size: give each its own task definition.');
  });

  test.each([
    ['', '""'], ['a b', '"a b"'], ['x'.repeat(65), `"${'x'.repeat(65)}"`],
  ])('poolName %j is refused', (poolName, shown) => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const service = h.service('Api', { desiredCount: 2, register: false });
    expect(() => h.budget.addEcsService(service, { poolName })).toThrow(
      `ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): invalid options:\n- poolName must be 1 to 64 letters, digits, '-' or '_', got ${shown}`);
  });
});
