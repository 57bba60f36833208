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
