import { App, CfnParameter, Lazy, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds } from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { harness, HarnessOptions, POSTGRES, synthErrors } from './harness';

/** Values CloudFormation only knows at deploy time. */
const numberToken = (scope: Stack, id: string) => new CfnParameter(scope, id, { type: 'Number' }).valueAsNumber;
const stringToken = (scope: Stack, id: string) => new CfnParameter(scope, id, { type: 'String' }).valueAsString;

describe('a token where the budget needs a number fails synth, naming the value and the bound that fixes it', () => {
  test.each<[string, HarnessOptions, (h: ReturnType<typeof harness>) => void, string]>([
    ['the instance class, without max_connections in the parameter group',
      { proxyPercent: 50, instanceType: undefined },
      (h) => {
        (h.database.node.defaultChild as rds.CfnDBInstance).dbInstanceClass = stringToken(h.data, 'Class');
      },
      "the DBInstanceClass of 'Data/Db' is unknown until deploy (a token), so the worst case cannot be computed. Pass maxConnections to the budget, or give the value as a literal. [CB-UNRESOLVED-VALUE]"],
    ['max_connections in the parameter group',
      { proxyPercent: 50 },
      (h) => {
        const group = new rds.ParameterGroup(h.data, 'TokenParams', { engine: POSTGRES, parameters: { max_connections: stringToken(h.data, 'Max') } });
        (h.database.node.defaultChild as rds.CfnDBInstance).dbParameterGroupName = group.bindToInstance({}).parameterGroupName;
      },
      "the max_connections parameter of 'Data/TokenParams' is unknown until deploy (a token), so the worst case cannot be computed. Pass maxConnections to the budget, or give the value as a literal. [CB-UNRESOLVED-VALUE]"],
    ['the proxy\'s MaxConnectionsPercent',
      { maxConnectionsParameter: '500', proxyPercent: 50 },
      (h) => {
        const group = h.proxy!.node.findChild('ProxyTargetGroup') as rds.CfnDBProxyTargetGroup;
        group.connectionPoolConfigurationInfo = { maxConnectionsPercent: numberToken(h.data, 'Percent') };
      },
      "the MaxConnectionsPercent of 'Data/Db/Proxy' is unknown until deploy (a token), so the worst case cannot be computed. Give the proxy's maxConnectionsPercent as a literal number. [CB-UNRESOLVED-VALUE]"],
    ['the proxy\'s IdleClientTimeout',
      { maxConnectionsParameter: '500', proxyPercent: 50 },
      (h) => {
        (h.proxy!.node.defaultChild as rds.CfnDBProxy).idleClientTimeout = numberToken(h.data, 'Idle');
      },
      "the IdleClientTimeout of 'Data/Db/Proxy' is unknown until deploy (a token), so the worst case cannot be computed. Give the proxy's idleClientTimeout as a literal duration. [CB-UNRESOLVED-VALUE]"],
    ['a service\'s desired count',
      { maxConnectionsParameter: '500', proxyPercent: 50 },
      (h) => {
        (h.services.node.findChild('Api').node.defaultChild as ecs.CfnService).desiredCount = numberToken(h.services, 'Desired');
      },
      "the DesiredCount of 'Services/Api' is unknown until deploy (a token), so the worst case cannot be computed. Pass maxTasks to addEcsService() for 'Services/Api': the most tasks it can ever run. [CB-UNRESOLVED-VALUE]"],
    ['a service\'s deployment configuration',
      { maxConnectionsParameter: '500', proxyPercent: 50 },
      (h) => {
        (h.services.node.findChild('Api').node.defaultChild as ecs.CfnService).deploymentConfiguration = { maximumPercent: numberToken(h.services, 'Surge') };
      },
      "the DeploymentConfiguration of 'Services/Api' is unknown until deploy (a token), so the worst case cannot be computed. Give the deployment settings of 'Services/Api' as literals. [CB-UNRESOLVED-VALUE]"],
    ['a service\'s deployment controller',
      { maxConnectionsParameter: '500', proxyPercent: 50 },
      (h) => {
        (h.services.node.findChild('Api').node.defaultChild as ecs.CfnService).deploymentController = { type: stringToken(h.services, 'Controller') };
      },
      "the DeploymentController of 'Services/Api' is unknown until deploy (a token), so the worst case cannot be computed. Give the deployment settings of 'Services/Api' as literals. [CB-UNRESOLVED-VALUE]"],
  ])('%s', (_name, options, makeToken, message) => {
    const h = harness(options);
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(5) });
    makeToken(h);
    expect(synthErrors(h.app)).toEqual([`[Data/Budget] ConnectionBudget 'Data/Budget': ${message}`]);
  });

  test('a token instance class is fine when the parameter group sets max_connections', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 50 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(5) });
    (h.database.node.defaultChild as rds.CfnDBInstance).dbInstanceClass = stringToken(h.data, 'Class');
    expect(synthErrors(h.app)).toEqual([]);
  });

  test('Serverless v2 capacity as a token', () => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      vpc, writer: rds.ClusterInstance.serverlessV2('writer'), storageEncrypted: true,
    });
    (cluster.node.defaultChild as rds.CfnDBCluster).serverlessV2ScalingConfiguration = { minCapacity: 0.5, maxCapacity: numberToken(stack, 'Acu') };
    new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromCluster(cluster) });
    expect(synthErrors(app)).toEqual(["[Data/Budget] ConnectionBudget 'Data/Budget': the ServerlessV2ScalingConfiguration of 'Data/Cluster' "
      + 'is unknown until deploy (a token), so the worst case cannot be computed. Pass maxConnections to the budget, or give the value as a literal. [CB-UNRESOLVED-VALUE]']);
  });
});

test('a value that depends on the budget\'s own pool settings fails instead of recursing', () => {
  const h = harness({ maxConnectionsParameter: '500', proxyPercent: 50 });
  const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(5) });
  // A desired count computed from the task definition, which holds the budget's own pool settings.
  (api.node.defaultChild as ecs.CfnService).desiredCount = Lazy.number({
    produce: () => JSON.stringify(h.services.resolve((api.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).containerDefinitions)).length,
  });
  expect(() => h.app.synth()).toThrow(
    "ConnectionBudget 'Data/Budget': the budget was needed while it was being computed: a value it reads (a task count, a capacity, reserved concurrency, a parameter) "
    + "is made from its own pool settings, such as a handle's poolSize or variables; give that value a number of its own.");
});
