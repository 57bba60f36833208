import {
  App, Duration, Fn, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_events as events, aws_events_targets as targets, aws_lambda as lambda, aws_rds as rds, aws_ssm as ssm,
} from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget, PoolSettingsPreset, PoolSize } from '../../lib';
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

describe('CB-WRONG-ROUTE reads every way a route arrives', () => {
  const error = (path: string, holder: string, name: string, pointsAt = 'Data/Db') => `[${path.replace(/#.*$/, '')}] ConnectionBudget 'Data/Budget': '${path}' is counted `
    + `through the proxy 'Data/Db/Proxy', but ${holder} sets ${name} to the endpoint of '${pointsAt}'. Point ${name} at the proxy's endpoint (the budget delivers `
    + `it with the pool), or register '${path}' with bypassProxy: true and a fixed pool. [CB-WRONG-ROUTE]`;

  test('a secret\'s host field, as ecs.Secret.fromSecretsManager(db.secret, \'host\') writes it', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'ApiTask');
    taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), secrets: { DB_HOST: ecs.Secret.fromSecretsManager(h.database.secret!, 'host') },
    });
    h.budget.addEcsService(new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 }), { pool: PoolSize.fixed(5) });
    expect(synthErrors(h.app)).toEqual([error('Services/Api', "the container 'app'", 'DB_HOST')]);
  });

  test('an SSM parameter that holds the endpoint', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const parameter = new ssm.StringParameter(h.data, 'HostParam', { stringValue: h.database.dbInstanceEndpointAddress });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'ApiTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), environment: { DATABASE_HOST: parameter.stringValue } });
    h.budget.addEcsService(new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 }), { pool: PoolSize.fixed(5) });
    expect(synthErrors(h.app)).toEqual([error('Services/Api', "the container 'app'", 'DATABASE_HOST')]);
  });

  test('a container override of the rule that runs a scheduled task', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'JobTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/job:1') });
    new events.Rule(h.services, 'Nightly', { schedule: events.Schedule.rate(Duration.days(1)) }).addTarget(new targets.EcsTask({
      cluster: h.cluster, taskDefinition, containerOverrides: [{ containerName: 'app', environment: [{ name: 'DB_HOST', value: h.database.dbInstanceEndpointAddress }] }],
    }));
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(2) });
    expect(synthErrors(h.app)).toEqual([error('Services/JobTask', "'Services/Nightly (target 'Target0')', which runs it,", 'a container override')]);
  });

  const lambdaApp = (host: (h: ReturnType<typeof harness>) => string) => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const fn = new lambda.Function(h.services, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};'),
      vpc: h.vpc, reservedConcurrentExecutions: 2, environment: { PGHOST: host(h), PGDATABASE: 'app' },
    });
    h.budget.addLambdaFunction(fn, { poolSettings: PoolSettingsPreset.nodePostgres() });
    return h;
  };

  test('a function keeps the route the app gave it', () => {
    const h = lambdaApp(() => 'pgbouncer.internal');
    expect(synthErrors(h.app)).toEqual([]);
    const [, fn] = Object.entries<any>(h.app.synth().getStackByName('Services').template.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Function')!;
    expect(fn.Properties.Environment.Variables).toMatchObject({ PGHOST: 'pgbouncer.internal', PGDATABASE: 'app', PGPORT: '5432' });
  });

  test('a function whose own route holds the database endpoint fails', () => {
    expect(synthErrors(lambdaApp((h) => h.database.dbInstanceEndpointAddress).app)).toEqual([error('Services/Fn', "the function 'Services/Fn'", 'PGHOST')]);
  });

  test('one container with a set through the proxy and a direct one: each judged by its own route', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    const service = h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(5) });
    h.budget.addEcsService(service, { poolName: 'admin', pool: PoolSize.fixed(1), bypassProxy: true, poolSettings: PoolSettingsPreset.generic('ADMIN_DB_POOL') });
    expect(synthErrors(h.app)).toEqual([]);
  });

  test('an Aurora custom endpoint is the database\'s address', () => {
    const app = new App();
    const data = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 });
    const parameterGroup = new rds.ParameterGroup(data, 'Params', { engine, parameters: { max_connections: '1000' } });
    const cluster = new rds.DatabaseCluster(data, 'Db', { engine, vpc, writer: rds.ClusterInstance.provisioned('writer', { parameterGroup }), storageEncrypted: true });
    const proxy = cluster.addProxy('Proxy', { vpc, secrets: [cluster.secret!] });
    const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromCluster(cluster), proxy });
    const custom = new rds.CfnDBClusterEndpoint(data, 'Analytics', { dbClusterIdentifier: cluster.clusterIdentifier, dbClusterEndpointIdentifier: 'analytics', customEndpointType: 'ANY' });
    const ecsCluster = new ecs.Cluster(data, 'Cluster', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(data, 'ApiTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), environment: { DB_HOST: custom.attrEndpoint } });
    budget.addEcsService(new ecs.FargateService(data, 'Api', { cluster: ecsCluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 }), { pool: PoolSize.fixed(5) });
    expect(synthErrors(app)).toEqual([
      "[Data/Api] ConnectionBudget 'Data/Budget': 'Data/Api' is counted through the proxy 'Data/Db/Proxy', but the container 'app' sets DB_HOST to the endpoint of "
      + "'Data/Analytics'. Point DB_HOST at the proxy's endpoint (the budget delivers it with the pool), or register 'Data/Api' with bypassProxy: true and a fixed pool. "
      + '[CB-WRONG-ROUTE]',
    ]);
  });
});
