import { Fn, aws_ecs as ecs } from 'aws-cdk-lib';
import { PoolSize } from '../../lib';
import { harness, synthErrors } from '../constructs/harness';

/** A service whose container sets DATABASE_URL from `host`, registered with `options`. */
function appWith(host: (h: ReturnType<typeof harness>) => string, options: { bypassProxy?: boolean } = {}) {
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'ApiTask');
  taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'),
    environment: { DATABASE_URL: Fn.join('', ['postgresql://', host(h), ':5432/app']) },
  });
  const service = new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, desiredCount: 2, minHealthyPercent: 100 });
  h.budget.addEcsService(service, { pool: PoolSize.fixed(5), ...options });
  return synthErrors(h.app);
}

describe('CB-WRONG-ROUTE: where a consumer connects is where it is counted', () => {
  test('a consumer counted through the proxy that points at the database endpoint fails synth', () => {
    expect(appWith((h) => h.database.dbInstanceEndpointAddress)).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': 'Services/Api' is counted through the proxy 'Data/Db/Proxy', but the container 'app' sets "
      + "DATABASE_URL to the endpoint of 'Data/Db'. Point DATABASE_URL at the proxy's endpoint (the budget delivers it with the pool), or register "
      + "'Services/Api' with bypassProxy: true and a fixed pool. [CB-WRONG-ROUTE]",
    ]);
  });

  test('a direct client that points at the proxy fails synth', () => {
    expect(appWith((h) => h.proxy!.endpoint, { bypassProxy: true })).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': 'Services/Api' is counted as a direct client of the database 'Data/Db', but the container 'app' "
      + "sets DATABASE_URL to the endpoint of 'Data/Db/Proxy'. Point DATABASE_URL at the database's endpoint, or register 'Services/Api' without bypassProxy. "
      + '[CB-WRONG-ROUTE]',
    ]);
  });

  test.each([
    ['the proxy\'s endpoint, through the proxy', (h: ReturnType<typeof harness>) => h.proxy!.endpoint, {}],
    ['the database\'s endpoint, directly', (h: ReturnType<typeof harness>) => h.database.dbInstanceEndpointAddress, { bypassProxy: true }],
    ['the database\'s port only, through the proxy', (h: ReturnType<typeof harness>) => h.database.dbInstanceEndpointPort, {}],
  ])('%s passes', (_what, host, options) => {
    expect(appWith(host, options)).toEqual([]);
  });
});

describe('the route is delivered with the pool', () => {
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(5) });
  h.service('Reports', { desiredCount: 1 }, { pool: PoolSize.fixed(2), bypassProxy: true });
  // The app's own value stands (and CB-WRONG-ROUTE checks where it points).
  const ownTask = new ecs.FargateTaskDefinition(h.services, 'OwnTask');
  ownTask.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), environment: { DB_HOST: 'pgbouncer.internal' } });
  const own = h.budget.addEcsService(new ecs.FargateService(h.services, 'Own', { cluster: h.cluster, taskDefinition: ownTask, desiredCount: 1, minHealthyPercent: 100 }),
    { pool: PoolSize.fixed(2) });
  const errors = synthErrors(h.app);
  const environment = (id: string) => {
    const [, definition] = Object.entries<any>(h.app.synth().getStackByName('Services').template.Resources)
      .find(([logicalId, r]) => r.Type === 'AWS::ECS::TaskDefinition' && logicalId.startsWith(id))!;
    return Object.fromEntries(definition.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
  };

  test('synth passes', () => {
    expect(errors).toEqual([]);
  });

  test('a consumer through the proxy gets the proxy\'s endpoint and port', () => {
    expect(environment('ApiTask')).toMatchObject({ DB_HOST: { 'Fn::ImportValue': expect.stringMatching(/DbProxy.*Endpoint/) }, DB_PORT: '5432', DB_NAME: 'postgres' });
  });

  test('a direct client gets the database\'s endpoint and port', () => {
    expect(environment('ReportsTask')).toMatchObject({
      DB_HOST: { 'Fn::ImportValue': expect.stringMatching(/FnGetAttDb[0-9A-F]+EndpointAddress/) }, DB_PORT: { 'Fn::ImportValue': expect.stringMatching(/FnGetAttDb[0-9A-F]+EndpointPort/) }, DB_NAME: 'postgres',
    });
  });

  test('a variable the app sets keeps its value, and the handle lists only what was delivered', () => {
    expect(environment('OwnTask')).toMatchObject({ DB_HOST: 'pgbouncer.internal', DB_PORT: '5432' });
    expect(Object.keys(own.variables)).toContain('DB_PORT');
    expect(Object.keys(own.variables)).not.toContain('DB_HOST');
  });
});
