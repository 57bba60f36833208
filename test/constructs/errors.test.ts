import { App, CfnParameter, NestedStack, Stack, Token, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds } from 'aws-cdk-lib';
import { BudgetedDatabase, ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import * as path from 'path';
import { harness, POSTGRES, synthErrors } from './harness';

// Inputs that once gave a TypeError, an internal assertion or a misleading message. Each now names the construct
// path, what is wrong and the fix.

describe('fails with a message that names the construct, the value and the fix', () => {
  test.each([0, 150])('a proxy at MaxConnectionsPercent %i', (percent) => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: percent });
    h.service('Api', { desiredCount: 1 });
    expect(synthErrors(h.app)).toEqual([
      `[Data/Budget] ConnectionBudget 'Data/Budget': the MaxConnectionsPercent of 'Data/Db/Proxy' is ${percent}, but it must be a whole number from 1 to 100. `
      + "Set the maxConnectionsPercent of 'Data/Db/Proxy' to a whole number from 1 to 100. [CB-INVALID-VALUE]",
    ]);
  });

  test('an imported proxy', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: null });
    const imported = rds.DatabaseProxy.fromDatabaseProxyAttributes(h.data, 'Imported', {
      dbProxyArn: 'arn:aws:rds:eu-west-1:111111111111:db-proxy:prx-1', dbProxyName: 'prx', endpoint: 'prx.example.com', securityGroups: [],
    });
    expect(() => new ConnectionBudget(h.data, 'Other', { database: DatabaseTarget.fromInstance(h.database), proxy: imported as rds.DatabaseProxy })).toThrow(
      "ConnectionBudget 'Data/Other': invalid properties:\n- the proxy 'Data/Imported' is not a DatabaseProxy defined in this app (an imported proxy's pool settings are not in the app); "
      + "pass the DatabaseProxy construct, or leave proxy out and keep the proxy's share as a reservation");
  });

  test('a SingletonFunction, a Lambda alias and a version', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const props = { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'), vpc: h.vpc };
    const singleton = new lambda.SingletonFunction(h.services, 'Singleton', { uuid: '6b1f6f58-1c9e-4f0e-9d4e-1f3f0c1a2b3c', ...props });
    expect(() => h.budget.addLambdaFunction(singleton as unknown as lambda.Function)).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Singleton'): 'Services/Singleton' is a SingletonFunction, whose one function every SingletonFunction "
      + 'of the same uuid shares; the budget cannot count it. Create a lambda.Function (or NodejsFunction) for the database work and register that.');
    const fn = new lambda.Function(h.services, 'Fn', props);
    expect(() => h.budget.addLambdaFunction(fn.addAlias('live') as unknown as lambda.Function)).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Fn/Aliaslive'): 'Services/Fn/Aliaslive' is a Lambda alias; reserved concurrency and the VPC belong to the function, "
      + "so register 'Services/Fn' itself.");
    expect(() => h.budget.addLambdaFunction(fn.currentVersion as unknown as lambda.Function)).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Fn/CurrentVersion'): 'Services/Fn/CurrentVersion' is a Lambda version; reserved concurrency and the VPC "
      + "belong to the function, so register 'Services/Fn' itself.");
  });

  test('a reservation without a name', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    expect(() => h.budget.addReservation({ connections: 5 } as never)).toThrow(
      "ConnectionBudget 'Data/Budget': addReservation(): every reservation needs a name: what the connections are for, such as 'migrations'.");
  });

  test('an Aurora Serverless v1 cluster', () => {
    const stack = new Stack(new App(), 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const v1 = new rds.ServerlessCluster(stack, 'Cluster', { engine: rds.DatabaseClusterEngine.AURORA_POSTGRESQL, vpc,
      parameterGroup: rds.ParameterGroup.fromParameterGroupName(stack, 'Params', 'default.aurora-postgresql11') });
    expect(() => new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromCluster(v1 as unknown as rds.IDatabaseCluster) })).toThrow(
      "ConnectionBudget 'Data/Budget': invalid properties:\n- 'Data/Cluster' is an Aurora Serverless v1 cluster, which RDS Proxy does not support and AWS no longer offers; "
      + 'use Aurora Serverless v2 (rds.DatabaseCluster with ClusterInstance.serverlessV2)');
  });

  test('a token pool size, and a token instance type for BudgetedDatabase', () => {
    expect(() => PoolSize.fixed(Token.asNumber({ resolve: () => 5 }))).toThrow('PoolSize.fixed(): size must be a whole number from 1 to 262143, got a token.');
    const stack = new Stack(new App(), 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const instanceClass = new CfnParameter(stack, 'Class', { type: 'String' }).valueAsString;
    expect(() => new BudgetedDatabase(stack, 'Db', { vpc, instanceEngine: POSTGRES, instanceType: new ec2.InstanceType(instanceClass) })).toThrow(
      "BudgetedDatabase 'Data/Db': instanceType is a token, so the class, and with it the default max_connections, is unknown until deploy; "
      + 'give the class as a literal (ec2.InstanceType.of(...)), or pass maxConnections.');
  });

  test('a consumer in a nested stack, whose template the verification cannot read', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const nested = new NestedStack(h.services, 'Nested');
    const taskDefinition = new ecs.FargateTaskDefinition(nested, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const service = new ecs.FargateService(nested, 'Api', { cluster: h.cluster, taskDefinition, minHealthyPercent: 100 });
    expect(() => h.budget.addEcsService(service)).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Nested/Api'): the consumer is in the nested stack 'Services/Nested', whose template is an asset "
      + "that the budget's verification and the connection-budget CLI do not read; define it in a Stack.");
  });
});

describe('an app made with another copy of aws-cdk-lib (a file: dependency, npm link)', () => {
  // A second copy of aws-cdk-lib, as a linked library's own node_modules gives it: every class is another class.
  // aws-cdk-lib loads its classes when first read: they are read inside the isolated registry.
  let other!: Pick<typeof import('aws-cdk-lib'), 'App' | 'Stack'>;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require inside isolateModules is what loads a second copy
    const { App: OtherApp, Stack: OtherStack } = require('aws-cdk-lib');
    other = { App: OtherApp, Stack: OtherStack };
  });
  const ours = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  const copies = (construct: string) => `${construct}: its stack 'Data' is made with another copy of aws-cdk-lib than the one this library loads (${ours}), `
    + 'so nothing of the app is what the library can read. A file: dependency or npm link keeps the library\'s own node_modules: install cdk-connection-budget '
    + 'from its tarball (npm pack) or the registry, so that it shares the app\'s aws-cdk-lib.';

  test('is named at the first construct of the library, with the fix, instead of failing on a class check later', () => {
    const stack = new other.Stack(new other.App(), 'Data');
    expect(stack instanceof Stack).toBe(false);
    expect(() => new ConnectionBudget(stack, 'Budget', { database: undefined as unknown as DatabaseTarget })).toThrow(copies("ConnectionBudget 'Data/Budget'"));
    expect(() => new BudgetedDatabase(stack, 'Db', { vpc: undefined as unknown as ec2.IVpc, instanceEngine: POSTGRES })).toThrow(copies("BudgetedDatabase 'Data/Db'"));
  });
});

describe('a misspelt option, which an app not type-checked passes without a word, is named with the one meant', () => {
  const unknown = (key: string, meant: string, struct: string, what = 'option') => `unknown ${what} '${key}'; did you mean ${meant}? `
    + `(${struct} has no such ${what}, so its value would not be counted)`;
  // As JavaScript, or TypeScript run with --transpile-only, passes them.
  const untyped = <T>(value: object) => value as T;

  test('of a consumer: processPerTask would count one process per task', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const api = h.service('Api', { desiredCount: 1, register: false });
    expect(() => h.budget.addEcsService(api, untyped({ processPerTask: 2 }))).toThrow("ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): invalid options:\n- "
      + unknown('processPerTask', 'processesPerTask', 'EcsServiceConsumerOptions'));
    const fn = new lambda.Function(h.services, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'), vpc: h.vpc, reservedConcurrentExecutions: 2,
    });
    expect(() => h.budget.addLambdaFunction(fn, untyped({ maxConcurency: 5 }))).toThrow("ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Fn'): invalid options:\n- "
      + unknown('maxConcurency', 'maxConcurrency', 'LambdaFunctionConsumerOptions'));
  });

  test('of a reservation, a budget, a BudgetedDatabase and a derived pool', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    expect(() => h.budget.addReservation(untyped({ name: 'bi', connections: 5, throughProxi: true }))).toThrow("ConnectionBudget 'Data/Budget': "
      + `addReservation('bi'): reservation 'bi': ${unknown('throughProxi', 'throughProxy', 'ConnectionReservation', 'property')}.`);
    expect(() => new ConnectionBudget(h.data, 'Other', untyped({ database: DatabaseTarget.fromInstance(h.database), reservation: [] }))).toThrow(
      `ConnectionBudget 'Data/Other': invalid properties:\n- ${unknown('reservation', 'reservations', 'ConnectionBudgetProps', 'property')}`);
    expect(() => new BudgetedDatabase(h.data, 'Db2', untyped({ vpc: h.vpc, instanceEngine: POSTGRES, maxConnection: 100 }))).toThrow(
      `BudgetedDatabase 'Data/Db2': invalid properties:\n- ${unknown('maxConnection', 'maxConnections', 'BudgetedDatabaseProps', 'property')}`);
    expect(() => ConnectionBudget.fromAllocation(new Stack(new App(), 'Team'), 'Budget', untyped({ owningBudgetPath: 'Platform/Data/Budget', allocationName: 'orders', reservation: [] })))
      .toThrow(`ConnectionBudget 'Team/Budget': invalid properties:\n- ${unknown('reservation', 'reservations', 'ConnectionBudgetFromAllocationProps', 'property')}`);
    expect(() => PoolSize.share(untyped({ maximum: 20 }))).toThrow("PoolSize.share(): unknown option 'maximum' (PoolShareOptions has no such option, so its value would not be counted).");
  });
});

describe('an error of the app\'s input reads as one, not as a crash of the library', () => {
  test('its stack starts at the app\'s line that gave the input, with no frame of the library', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const api = h.service('Api', { desiredCount: 1 });
    let error: Error | undefined;
    try {
      h.budget.addEcsService(api);
    } catch (e) {
      error = e as Error;
    }
    const [header, firstFrame, ...frames] = error!.stack!.split('\n');
    expect(header).toBe(`ConstructInputError: ${error!.message}`);
    expect(error!.message).toMatch(/^ConnectionBudget 'Data\/Budget': addEcsService\('Services\/Api'\): the consumer is already registered/);
    expect(firstFrame).toContain(path.join('test', 'constructs', 'errors.test.ts'));
    expect([firstFrame, ...frames].filter((line) => line.includes(`${path.sep}lib${path.sep}`) && !line.includes('node_modules'))).toEqual([]);
  });
});
