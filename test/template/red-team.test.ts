import {
  App, CfnParameter, CfnResource, NestedStack, Stack, Stage, aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_ecs as ecs, aws_events as events,
  aws_events_targets as targets, aws_rds as rds, aws_ssm as ssm, aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks, Duration,
} from 'aws-cdk-lib';
import { BudgetedDatabase, ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { harness, POSTGRES, synthErrors } from '../constructs/harness';

// Found by red-teaming the verification: each passed as fitting (or failed a sound app) before its fix.
const ids = (errors: string[]) => errors.map((e) => /\[(CB-[A-Z-]+)\]$/.exec(e)?.[1]);

describe('what deploys more than was counted fails synth', () => {
  test('a scheduled scaling action above the autoscaling maximum counts', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2, register: false });
    api.autoScaleTaskCount({ maxCapacity: 10 }).scaleOnSchedule('Peak', { schedule: appscaling.Schedule.cron({ hour: '8', minute: '0' }), minCapacity: 100, maxCapacity: 100 });
    h.budget.addEcsService(api, { pool: PoolSize.fixed(10) });
    expect(synthErrors(h.app)[0]).toMatch(/worst-case demand 2000 exceeds the proxy ceiling 895 by 1105: .* 'Services\/Api' 2000 = 100 tasks \(scheduled scaling\) × 200 % rolling surge = 200 tasks/);
  });

  test('a budget\'s record removed by an override is missing, and says so', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (h.budget.node.findChild('Record') as CfnResource).addDeletionOverride('Metadata.ConnectionBudget');
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': its record is not in the template of its stack 'Data', so the templates cannot be checked against it. "
      + "Keep the budget's Record resource and its Metadata: do not remove it or override its Metadata. [CB-LEDGER-MISSING]",
    ]);
  });

  test('a record overridden into what no reader takes fails synth with the reader\'s reason', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (h.budget.node.findChild('Record') as CfnResource).addOverride('Metadata.ConnectionBudget.schemaVersion', 99);
    expect(synthErrors(h.app)).toEqual([expect.stringMatching(new RegExp('^\\[Data/Budget\\] the connection budget record on \'BudgetRecord[0-9A-F]{8}\' in \'.*Data\\.template\\.json\' '
      + 'has record schema version 99, but this connection-budget reads version 1\\. Run the connection-budget CLI of the library version that synthesized it\\. '
      + 'Do not override or remove the ConnectionBudget Metadata of a budget\'s Record or of its consumers\' resources; add Metadata of your own with '
      + 'addMetadata\\(\\), not by assigning cfnOptions\\.metadata, which replaces it\\. \\[CB-LEDGER-MISSING\\]$'))]);
  });

  test('a consumer\'s record changed by an override is caught: the CLI would rebuild another budget from it', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (api.node.defaultChild as CfnResource).addOverride('Metadata.ConnectionBudget.budgets.Data/Budget.Services/Api.pool.size', 1);
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the record of 'Services/Api' (pool.request.size) holds 1 in the templates, but the budget computed 10, "
      + 'so the CLI and the pipeline would rebuild another budget from them. Do not override or remove the ConnectionBudget Metadata of a budget\'s Record '
      + 'or of its consumers\' resources; add Metadata of your own with addMetadata(), not by assigning cfnOptions.metadata, which replaces it. [CB-LEDGER-MISSING]',
    ]);
  });

  test('a consumer\'s record that the budget does not name, added by an override, is caught at synth, as the CLI would catch it', () => {
    // GIVEN a real consumer record (Api's, from a first synth), added to an unregistered service under another path
    const first = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const firstApi = first.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const records = first.app.synth().getStackByName('Services').template.Resources[first.services.getLogicalId(firstApi.node.defaultChild as CfnResource)].Metadata.ConnectionBudget;
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const worker = h.service('Worker', { desiredCount: 1, register: false });
    (worker.node.defaultChild as CfnResource).addMetadata('ConnectionBudget', { ...records, budgets: { 'Data/Budget': { 'Services/Ghost': records.budgets['Data/Budget']['Services/Api'] } } });
    expect(synthErrors(h.app)).toContainEqual(
      "[Data/Budget] ConnectionBudget 'Data/Budget': the record of 'Services/Ghost' holds a record in the templates, but the budget computed none (not one of its consumers), "
      + 'so the CLI and the pipeline would rebuild another budget from them. Do not override or remove the ConnectionBudget Metadata of a budget\'s Record '
      + 'or of its consumers\' resources; add Metadata of your own with addMetadata(), not by assigning cfnOptions.metadata, which replaces it. [CB-LEDGER-MISSING]');
  });

  test('a consumer record\'s digest changed by an override is caught at synth: the CLI would call the intact record edited', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (api.node.defaultChild as CfnResource).addOverride('Metadata.ConnectionBudget.budgets.Data/Budget.Services/Api.digest', '0000000000000000');
    expect(synthErrors(h.app)).toEqual([expect.stringMatching(new RegExp("^\\[Data/Budget\\] ConnectionBudget 'Data/Budget': the record of 'Services/Api' \\(digest\\) "
      + 'holds 0000000000000000 in the templates, but the budget computed digest [0-9a-f]{16}, so the CLI and the pipeline would rebuild another budget from them\\. '))]);
  });

  test('a budget record\'s figures changed by an override are caught at synth, as the CLI would catch them', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (h.budget.node.findChild('Record') as CfnResource).addOverride('Metadata.ConnectionBudget.figures.reserved', 99);
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the budget's record (figures.reserved) holds 99 in the templates, but the budget computed 0, "
      + 'so the CLI and the pipeline would rebuild another budget from them. Do not override or remove the ConnectionBudget Metadata of a budget\'s Record '
      + 'or of its consumers\' resources; add Metadata of your own with addMetadata(), not by assigning cfnOptions.metadata, which replaces it. [CB-LEDGER-MISSING]',
    ]);
  });

  test('a budget in a nested stack is refused; a hole in a nested stack is seen', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    expect(() => new ConnectionBudget(new NestedStack(h.data, 'Inner'), 'Budget', { database: DatabaseTarget.fromInstance(h.database), proxy: h.proxy })).toThrow(
      "ConnectionBudget 'Data/Inner/Budget': 'Data/Inner/Budget' is in the nested stack 'Data/Inner', whose template is an asset that the budget's verification "
      + 'and the connection-budget CLI do not read; define it in a Stack.');
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const hidden = new NestedStack(h.services, 'Hidden');
    new ec2.CfnSecurityGroupIngress(hidden, 'Hole', { groupId: h.proxy!.connections.securityGroups[0].securityGroupId, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIp: '10.0.0.0/8' });
    expect(synthErrors(h.app)).toEqual([expect.stringMatching(
      /^\[Services\/Hidden\/Hole\] ConnectionBudget 'Data\/Budget': the security group rule 'Services\/Hidden\/Hole' lets 10\.0\.0\.0\/8 connect to 'Data\/Db\/Proxy' on port 5432, .*\[CB-UNBUDGETED-INGRESS\]$/)]);
  });

  test('a container override of an EventBridge target replaces the delivered pool', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'JobTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/job:1') });
    new events.Rule(h.services, 'Nightly', { schedule: events.Schedule.rate(Duration.hours(1)) }).addTarget(new targets.EcsTask({
      cluster: h.cluster, taskDefinition, taskCount: 10, securityGroups: [new ec2.SecurityGroup(h.services, 'JobGroup', { vpc: h.vpc })],
      containerOverrides: [{ containerName: 'app', environment: [{ name: 'DB_POOL_MAX', value: '200' }] }],
    }));
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(3) });
    expect(synthErrors(h.app)).toEqual([
      "[Services/JobTask] ConnectionBudget 'Data/Budget': a container override in 'Services/Nightly (target 'Target0')' deploys DB_POOL_MAX as a value of its own, "
      + "but the budget delivered '3' and counts that. Remove the other assignment of DB_POOL_MAX (addEnvironment, an override, a secret); to change the pool, "
      + "change the consumer's options where it is registered. [CB-VARIABLE-OVERWRITTEN]",
    ]);
  });

  test('an Aurora instance attached to the cluster by its name can be promoted, so its max_connections counts', () => {
    const app = new App();
    const data = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 });
    const cluster = new rds.DatabaseCluster(data, 'Cluster', {
      engine, vpc, clusterIdentifier: 'prod-db', writer: rds.ClusterInstance.provisioned('Writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE2) }),
    });
    new rds.CfnDBInstance(data, 'AnalyticsReader', { dbClusterIdentifier: 'PROD-DB', dbInstanceClass: 'db.t4g.medium', engine: 'aurora-postgresql', promotionTier: 0 });
    const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromCluster(cluster) });
    void budget;
    expect(budget._evaluation().maxConnections).toEqual({ value: 405, source: 'aurora-class-table', basis: 'db.t4g.medium' });
  });

  test('a parameter group the app does not define leaves max_connections unknown', () => {
    const h = harness({ proxyPercent: 90 });
    const app = new App();
    const data = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const database = new rds.DatabaseInstance(data, 'Db', {
      engine: POSTGRES, vpc, storageEncrypted: true, parameterGroup: rds.ParameterGroup.fromParameterGroupName(data, 'Shared', 'dba-team-postgres16'),
    });
    const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromInstance(database) });
    void h;
    expect(synthErrors(app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the max_connections of 'Data/Db' is unknown until deploy (its parameter group, 'dba-team-postgres16', is not defined in this app), "
      + 'so the worst case cannot be computed. Pass maxConnections to the budget (the value that parameter group sets), or define the parameter group in the app. [CB-UNRESOLVED-VALUE]',
    ]);
    void budget;
  });

  test('a proxy endpoint with a security group of its own is guarded like the proxy', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const endpointGroup = new ec2.SecurityGroup(h.data, 'EndpointGroup', { vpc: h.vpc });
    endpointGroup.addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.tcp(5432));
    new rds.CfnDBProxyEndpoint(h.data, 'Reader', {
      dbProxyName: h.proxy!.dbProxyName, dbProxyEndpointName: 'reader', vpcSecurityGroupIds: [endpointGroup.securityGroupId],
      vpcSubnetIds: h.vpc.privateSubnets.map((s) => s.subnetId), targetRole: 'READ_WRITE',
    });
    expect(ids(synthErrors(h.app))).toEqual(['CB-UNBUDGETED-INGRESS']);
  });

  test('a consumer counted through the proxy with a rule straight to the database', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 40 }, { pool: PoolSize.fixed(10) });
    // A remote rule (in the service's stack), as CDK writes one from another stack's group.
    h.database.connections.securityGroups[0].addIngressRule(api.connections.securityGroups[0], ec2.Port.tcp(5432), 'migrations at start-up', true);
    expect(synthErrors(h.app)).toEqual([expect.stringMatching(
      /the security group rule '.+' lets security group 'Services\/Api\/SecurityGroup' connect to 'Data\/Db' on port 5432, .*\[CB-UNBUDGETED-INGRESS\]$/)]);
  });

  test('a rule written with an upper-case protocol, or on a security group known only at deploy', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    new ec2.CfnSecurityGroupIngress(h.data, 'Upper', { groupId: h.proxy!.connections.securityGroups[0].securityGroupId, ipProtocol: 'TCP', fromPort: 5432, toPort: 5432, cidrIp: '10.0.0.0/8' });
    const group = new CfnParameter(h.data, 'SomeGroup', { type: 'String' });
    new ec2.CfnSecurityGroupIngress(h.data, 'Unknown', { groupId: group.valueAsString, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIp: '10.9.0.0/16' });
    expect(synthErrors(h.app)).toEqual([
      expect.stringMatching(/'Data\/Upper' lets 10\.0\.0\.0\/8 connect to 'Data\/Db\/Proxy' on port 5432, but/),
      expect.stringMatching(/'Data\/Unknown' lets 10\.9\.0\.0\/16 connect to 'Data\/Db\/Proxy' on port 5432 if its own security group, parameter 'SomeGroup' of stack 'Data', is that one's, but/),
    ]);
  });
});

describe('sound apps pass', () => {
  test('a Step Functions task that starts a registered task definition, with the bound it needs', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'JobTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/job:1') });
    const group = new ec2.SecurityGroup(h.services, 'JobGroup', { vpc: h.vpc });
    const run = new tasks.EcsRunTask(h.services, 'Run', { cluster: h.cluster, taskDefinition, launchTarget: new tasks.EcsFargateLaunchTarget(), securityGroups: [group] });
    new sfn.StateMachine(h.services, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(run) });
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, tasksPerRun: 1, securityGroups: [group], pool: PoolSize.fixed(2) });
    expect(synthErrors(h.app)).toEqual([]);
  });

  test('reservation clients given as a security group ID peer or a CIDR token', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.budget.addReservation({ name: 'bastion', connections: 5, clients: [ec2.Peer.securityGroupId('sg-0123456789abcdef0')] });
    h.budget.addReservation({ name: 'office', connections: 5, throughProxy: true, clients: [ec2.Peer.ipv4(h.vpc.vpcCidrBlock)] });
    expect(synthErrors(h.app)).toEqual([]);
  });

  test('a parameter holding a consumer\'s security group ID, a VPC endpoint sharing it, and a read replica in the database\'s groups', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    new ssm.StringParameter(h.services, 'ApiGroupId', { stringValue: api.connections.securityGroups[0].securityGroupId });
    h.vpc.addInterfaceEndpoint('Secrets', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, securityGroups: h.proxy!.connections.securityGroups });
    new rds.DatabaseInstanceReadReplica(h.data, 'Replica', {
      sourceDatabaseInstance: h.database, vpc: h.vpc, instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE),
      securityGroups: h.database.connections.securityGroups, storageEncrypted: true,
    });
    expect(synthErrors(h.app)).toEqual([]);
  });

  test('stacks of one name in two Stages (two accounts) do not mix', () => {
    const app = new App();
    for (const name of ['Beta', 'Prod']) {
      const stage = new Stage(app, name);
      const data = new Stack(stage, 'Data', { stackName: 'data' });
      const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const parameterGroup = new rds.ParameterGroup(data, 'Params', { engine: POSTGRES, parameters: { max_connections: '500' } });
      const db = new rds.DatabaseInstance(data, 'Db', { engine: POSTGRES, vpc, parameterGroup, storageEncrypted: true });
      const proxy = db.addProxy('Proxy', { vpc, secrets: [db.secret!], maxConnectionsPercent: 90 });
      const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromInstance(db), proxy });
      const services = new Stack(stage, 'Services', { stackName: 'services' });
      const taskDefinition = new ecs.FargateTaskDefinition(services, 'ApiTask');
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
      budget.addEcsService(new ecs.FargateService(services, 'Api', { cluster: new ecs.Cluster(services, 'Cluster', { vpc }), taskDefinition, minHealthyPercent: 100 }), { pool: PoolSize.fixed(5) });
    }
    expect(synthErrors(app)).toEqual([]);
  });
});

describe('consumers the budget cannot tell apart are refused at registration', () => {
  test('an Ec2Service in bridge networking', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = new ecs.Ec2TaskDefinition(h.services, 'BridgeTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), memoryLimitMiB: 512 });
    h.cluster.addCapacity('Hosts', { instanceType: new ec2.InstanceType('t3.medium') });
    const service = new ecs.Ec2Service(h.services, 'Bridge', { cluster: h.cluster, taskDefinition, minHealthyPercent: 100 });
    expect(() => h.budget.addEcsService(service)).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Bridge'): the task definition 'Services/BridgeTask' uses bridge networking, so its tasks share the instances' "
      + "security group with every other task on them and the budget cannot tell their connections from others'; use awsvpc networking (networkMode: NetworkMode.AWS_VPC), "
      + 'which gives the tasks a security group of their own.');
  });

  test('two services of one task definition', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(5) });
    const twin = new ecs.FargateService(h.services, 'Twin', { cluster: h.cluster, taskDefinition: api.taskDefinition, minHealthyPercent: 100 });
    expect(() => h.budget.addEcsService(twin, { pool: PoolSize.fixed(5) })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Twin'): container 'app' of 'Services/ApiTask' already receives DB_POOL_MAX for 'Services/Api'. "
      + "A second pool set of one container needs a preset with its own variables (for example PoolSettingsPreset.generic('CACHE_DB_POOL')); "
      + 'services that share a task definition share its variables, and so one pool size: give each its own task definition.');
  });
});

test('a BudgetedDatabase whose max_connections becomes a token fails with the reason, not an internal error', () => {
  const stack = new Stack(new App(), 'Data');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const db = new BudgetedDatabase(stack, 'Db', { vpc, instanceEngine: POSTGRES, maxConnections: 400 });
  db.parameterGroup.addParameter('max_connections', new CfnParameter(stack, 'MaxConnections', { type: 'String' }).valueAsString);
  expect(ids(synthErrors(stack.node.root as App))).toEqual(['CB-UNRESOLVED-VALUE']);
});

test('reservations above max_connections say so once, without a ceiling below zero', () => {
  const h = harness({ maxConnectionsParameter: '100', proxyPercent: 90, budget: { reservations: [{ name: 'admin', connections: 200 }] } });
  h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
  expect(ids(synthErrors(h.app))).toEqual(['CB-RESERVATIONS-EXCEED-CAPACITY']);
});
