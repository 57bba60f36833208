import { CfnParameter, Duration, Fn, NestedStack, Stack, aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectionBudget, DatabaseTarget, PoolSettingsPreset, PoolSize } from '../../lib';
import { ledgerOf } from '../helpers/ledgers';
import { harness, Harness, synthErrors } from './harness';

/** A Lambda function in the harness VPC, in the services stack. */
function fn(h: Harness, name: string, reservedConcurrentExecutions?: number, inVpc = true): lambda.Function {
  return new lambda.Function(h.services, name, {
    runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    vpc: inVpc ? h.vpc : undefined, reservedConcurrentExecutions,
  });
}

/** A scheduled Fargate task (EventBridge rule target) with `desiredTaskCount` tasks per run. */
function scheduledTask(h: Harness, name: string, desiredTaskCount: number): patterns.ScheduledFargateTask {
  return new patterns.ScheduledFargateTask(h.services, name, {
    cluster: h.cluster, desiredTaskCount, schedule: events.Schedule.rate(Duration.minutes(15)),
    scheduledFargateTaskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/job:1'), memoryLimitMiB: 512 },
  });
}

function environmentOfFunction(template: Record<string, any>, id: string): Record<string, string> {
  const entry = Object.entries<any>(template.Resources).find(([key, r]) => r.Type === 'AWS::Lambda::Function' && key.startsWith(id));
  return entry![1].Properties.Environment.Variables;
}

function environmentOfTask(template: Record<string, any>, id: string): Record<string, string> {
  const entry = Object.entries<any>(template.Resources).find(([key, r]) => r.Type === 'AWS::ECS::TaskDefinition' && key.startsWith(id));
  return Object.fromEntries(entry![1].Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
}

describe('every consumer kind in one budget', () => {
  // GIVEN max_connections 1000 behind a proxy at 90 %: P = 900.
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
  const bastion = new ec2.SecurityGroup(h.data, 'Bastion', { vpc: h.vpc });
  h.budget.addReservation({ name: 'migrations', connections: 10, clients: [bastion] });
  h.budget.addReservation({ name: 'bi', connections: 20, throughProxy: true, clients: [ec2.Peer.ipv4('10.9.0.0/16')] });
  h.service('Web', { desiredCount: 2, maxCapacity: 10 }, { pool: PoolSize.fixed(10) }); // 20 tasks × 10 = 200
  h.service('Reports', { desiredCount: 1, maxHealthyPercent: 100 }, { pool: PoolSize.fixed(5), bypassProxy: true }); // 5, direct
  const api = fn(h, 'Api', 50);
  h.budget.addLambdaFunction(api, { poolSettings: PoolSettingsPreset.nodePostgres() }); // 50 × 1
  const sync = scheduledTask(h, 'Sync', 3);
  h.budget.addEcsTask(sync.taskDefinition, {
    maxConcurrentRuns: 2, processesPerTask: 2, pool: PoolSize.fixed(4), overflowPerPool: 1, poolSettings: PoolSettingsPreset.sqlAlchemy(),
  }); // 2 runs × 3 tasks × 2 processes × (4 + 1) = 60
  // WHEN
  const errors = synthErrors(h.app);
  const services = Template.fromStack(h.services).toJSON();
  const data = Template.fromStack(h.data);
  const evaluation = h.budget._evaluation();

  test('synth passes', () => {
    expect(errors).toEqual([]);
  });

  test('each kind counts its own worst case', () => {
    expect(evaluation.consumers.map((c) => [c.input.path, c.input.kind, c.instances?.peak, c.poolSize, c.demand, c.direct])).toEqual([
      ['Services/Api', 'lambda-function', 50, 1, 50, false],
      ['Services/Reports', 'ecs-service', 1, 5, 5, true],
      ['Services/Sync/ScheduledTaskDef', 'ecs-task', 6, 4, 60, false],
      ['Services/Web', 'ecs-service', 20, 10, 200, false],
    ]);
  });

  test('reservations and direct clients reduce what the proxy may take', () => {
    // usable = 1000 − 5 − 30 − 5 = 960; the proxy's 900 less 20 for 'bi' = 880, less 5 it keeps = 875.
    expect(evaluation.capacity).toMatchObject({ usable: 960, reservedThroughProxy: 20, directDemand: 5, effectiveCeiling: 875, limitedBy: 'proxy' });
    expect(evaluation.totals).toMatchObject({ demand: 310, directDemand: 5, headroom: 565 });
  });

  test('a Lambda function gets its preset variables', () => {
    expect(environmentOfFunction(services, 'Api')).toEqual({
      PG_POOL_MAX: '1', PG_POOL_MIN: '1', PG_POOL_IDLE_TIMEOUT_MILLIS: '600000', PG_POOL_CONNECTION_TIMEOUT_MILLIS: '30000', PG_POOL_MAX_LIFETIME_SECONDS: '1800',
      PGHOST: { 'Fn::ImportValue': expect.stringMatching(/DbProxy.*Endpoint/) }, PGPORT: '5432', PGDATABASE: 'postgres',
    });
  });

  test('a scheduled task gets its preset variables, overflow included', () => {
    expect(environmentOfTask(services, 'SyncScheduledTaskDef')).toEqual({
      SQLALCHEMY_POOL_SIZE: '4', SQLALCHEMY_MAX_OVERFLOW: '1', SQLALCHEMY_POOL_TIMEOUT: '30', SQLALCHEMY_POOL_RECYCLE: '1800',
      SQLALCHEMY_HOST: { 'Fn::ImportValue': expect.stringMatching(/DbProxy.*Endpoint/) }, SQLALCHEMY_PORT: '5432', SQLALCHEMY_DATABASE: 'postgres',
    });
  });

  test('consumers reach the proxy, direct clients and direct reservations the database', () => {
    const ingress = Object.values<any>(services.Resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties);
    for (const source of ['ApiSecurityGroup', 'SyncScheduledTaskDefSecurityGroup', 'WebSecurityGroup']) {
      expect(ingress).toContainEqual(expect.objectContaining({
        FromPort: 5432, ToPort: 5432, GroupId: { 'Fn::ImportValue': expect.stringMatching(/ProxySecurityGroup/) },
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${source}`)), 'GroupId'] },
      }));
    }
    data.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bastion'), 'GroupId'] },
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbSecurityGroup'), 'GroupId'] },
    });
    data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '10.9.0.0/16', FromPort: 5432, ToPort: 5432 })]),
    });
    expect(ingress.find((r) => JSON.stringify(r.SourceSecurityGroupId).includes('ReportsSecurityGroup'))?.GroupId)
      .toEqual({ 'Fn::ImportValue': expect.stringMatching(/DbSecurityGroup/) });
  });
});

describe('consumer errors name the consumer, the value and the fix', () => {
  test('a Lambda function without reserved concurrency fails synth with the concurrency that fits', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Web', { desiredCount: 10 }, { pool: PoolSize.fixed(10) }); // 200
    h.budget.addLambdaFunction(fn(h, 'Api'), { pool: PoolSize.fixed(2) });
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the Lambda function 'Services/Api' has no reserved concurrency, so its execution environments, "
      + "each holding up to 2 connections, are unbounded. Set reservedConcurrentExecutions on 'Services/Api': at most 347 fits in the 695 connections "
      + 'the other consumers leave of the proxy ceiling 895 (2 per execution environment). [CB-UNBOUNDED-LAMBDA]',
    ]);
  });

  test('a Lambda function whose reserved concurrency is a token needs a bound', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const concurrency = new CfnParameter(h.services, 'Concurrency', { type: 'Number' }).valueAsNumber;
    h.budget.addLambdaFunction(fn(h, 'Api', concurrency));
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the ReservedConcurrentExecutions of 'Services/Api' is unknown until deploy (a token), so the worst case "
      + "cannot be computed. Pass maxConcurrency to addLambdaFunction() for 'Services/Api': the most reserved concurrency it can be given. [CB-UNRESOLVED-VALUE]",
    ]);
    const bounded = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    bounded.budget.addLambdaFunction(fn(bounded, 'Api', new CfnParameter(bounded.services, 'C', { type: 'Number' }).valueAsNumber), { maxConcurrency: 40 });
    expect(synthErrors(bounded.app)).toEqual([]);
    expect(bounded.budget._evaluation().consumers[0].demand).toBe(40);
  });

  test('a Lambda function outside a VPC cannot be a consumer', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    expect(() => h.budget.addLambdaFunction(fn(h, 'Api', 5, false))).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Api'): the function is not in a VPC, so it cannot reach the proxy or database; pass vpc to the function.");
  });

  test('a task definition nothing runs needs security groups and a task count', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'Report');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/report:1') });
    expect(() => h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1 })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsTask('Services/Report'): no security group to grant ingress to: no EventBridge target in the app runs the "
      + 'task definition with one. Pass securityGroups (the ones its launcher uses), or register the task after the rule that runs it.');
    const group = new ec2.SecurityGroup(h.services, 'ReportGroup', { vpc: h.vpc });
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, securityGroups: [group], pool: PoolSize.fixed(3) });
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the task count per run of 'Services/Report' is unknown until deploy (no EventBridge rule in the app "
      + "runs this task definition), so the worst case cannot be computed. Pass tasksPerRun to addEcsTask() for 'Services/Report': the most tasks one "
      + 'run starts (Step Functions, RunTask). [CB-UNRESOLVED-VALUE]',
    ]);
  });

  test('tasksPerRun covers launchers outside EventBridge; the larger count wins', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.budget.addEcsTask(scheduledTask(h, 'Sync', 2).taskDefinition, { maxConcurrentRuns: 3, tasksPerRun: 5, pool: PoolSize.fixed(2) });
    h.budget.addEcsTask(scheduledTask(h, 'Nightly', 4).taskDefinition, { maxConcurrentRuns: 1, tasksPerRun: 1, pool: PoolSize.fixed(2) });
    expect(h.budget._evaluation().consumers.map((c) => c.instances?.explanation)).toEqual([
      '1 concurrent run × 4 tasks (EventBridge target task count) = 4 tasks',
      '3 concurrent runs × 5 tasks (tasksPerRun bound) = 15 tasks',
    ]);
  });

  test('a task definition run by two rules counts both targets', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const sync = scheduledTask(h, 'Sync', 2);
    const extra = new events.Rule(h.services, 'Backfill', { schedule: events.Schedule.rate(Duration.hours(1)) });
    extra.addTarget(new targets.EcsTask({ cluster: h.cluster, taskDefinition: sync.taskDefinition, taskCount: 3 }));
    h.budget.addEcsTask(sync.taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(2) });
    expect(h.budget._evaluation().consumers[0].instances?.explanation).toBe('1 concurrent run × 5 tasks (task counts of its EventBridge targets) = 5 tasks');
  });

  test('option errors for every kind', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const sync = scheduledTask(h, 'Sync', 1);
    expect(() => h.budget.addEcsTask(sync.taskDefinition, { maxConcurrentRuns: 0, tasksPerRun: 0 })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsTask('Services/Sync/ScheduledTaskDef'): invalid options:\n"
      + '- maxConcurrentRuns must be a whole number from 1 to 1000000, got 0\n- tasksPerRun must be a whole number from 1 to 1000000, got 0');
    expect(() => h.budget.addLambdaFunction(fn(h, 'Api', 5), { maxConcurrency: -1 })).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Api'): invalid options:\n- maxConcurrency must be a whole number from 1 to 1000000, got -1");
    // A bound of 0 for a token would make the consumer's demand 0 whatever deploys.
    expect(() => h.budget.addLambdaFunction(fn(h, 'Api0', 5), { maxConcurrency: 0 })).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Api0'): invalid options:\n- maxConcurrency must be a whole number from 1 to 1000000, got 0");
    expect(() => h.budget.addEcsTask(sync.taskDefinition, { maxConcurrentRuns: 1, overflowPerPool: 2, poolSettings: PoolSettingsPreset.springBootHikari() })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsTask('Services/Sync/ScheduledTaskDef'): invalid options:\n"
      + '- overflowPerPool is 2, but Spring Boot with HikariCP has no overflow setting, so the delivered variables could not hold the pool to it; '
      + 'set overflowPerPool to 0, or use a preset that delivers it (generic, SQLAlchemy, or a custom mapping with maxOverflow)');
    expect(() => h.budget.addEcsTask(sync.taskDefinition, { maxConcurrentRuns: 1, poolSettings: PoolSettingsPreset.generic('1DB') })).toThrow(
      "- environment variable name '1DB_MAX' must be letters, digits and underscores, not starting with a digit");
    expect(() => h.budget.addEcsTask(sync.taskDefinition, { maxConcurrentRuns: 1, bypassProxy: true })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsTask('Services/Sync/ScheduledTaskDef'): a consumer that bypasses the proxy needs a fixed pool (PoolSize.fixed), "
      + "because its worst case is kept out of max_connections before the proxy's share is derived.");
    expect(() => h.budget.addReservation({ name: 'bi', connections: 5, throughProxy: true })).not.toThrow();
    expect(() => h.budget.addReservation({ name: 'bi', connections: -1 })).toThrow(
      "ConnectionBudget 'Data/Budget': addReservation('bi'): reservation 'bi' is declared twice; reservation 'bi' must keep a whole number of connections from 0 to 262143, got -1.");
  });

  test('without a proxy, bypassProxy and reservations through the proxy make no sense', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: null });
    expect(() => h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(1), bypassProxy: true })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Web'): bypassProxy is set, but the budget has no proxy; every consumer already connects directly.");
    expect(() => h.budget.addReservation({ name: 'bi', connections: 5, throughProxy: true })).toThrow(
      "ConnectionBudget 'Data/Budget': addReservation('bi'): reservation 'bi' is throughProxy, but the budget has no proxy.");
  });
});

describe('CB-UNBUDGETED-INGRESS', () => {
  test('a rule from an unregistered security group fails synth', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
    const stranger = new ec2.SecurityGroup(h.data, 'Stranger', { vpc: h.vpc });
    h.proxy!.connections.allowFrom(stranger, ec2.Port.tcp(5432), 'by hand');
    h.proxy!.connections.securityGroups[0].addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.allTcp(), 'office');
    // A rule on a port the proxy does not listen on is no way in.
    h.proxy!.connections.securityGroups[0].addIngressRule(ec2.Peer.ipv4('10.1.0.0/16'), ec2.Port.tcp(22), 'ssh');
    // The rules are read from the synthesized templates, after every construct added its own.
    expect(synthErrors(h.app)).toEqual([
      "[Data/Db/Proxy/ProxySecurityGroup/from DataStranger543C4AFB:5432] ConnectionBudget 'Data/Budget': the security group rule 'Data/Db/Proxy/ProxySecurityGroup/from DataStranger543C4AFB:5432' lets "
      + "security group 'Data/Stranger' connect to 'Data/Db/Proxy' on port 5432, but that source is neither a consumer nor a reservation of the budget, "
      + 'so its connections are not counted. Register the client with the budget (addEcsService, addEcsTask, addLambdaFunction), list it in the clients '
      + 'of a reservation, or remove the rule. [CB-UNBUDGETED-INGRESS]',
      "[Data/Db/Proxy/ProxySecurityGroup] ConnectionBudget 'Data/Budget': the security group rule 'Data/Db/Proxy/ProxySecurityGroup' lets 10.0.0.0/8 connect to 'Data/Db/Proxy' "
      + 'on ports 0-65535, but that source is neither a consumer nor a reservation of the budget, so its connections are not counted. Register the client '
      + 'with the budget (addEcsService, addEcsTask, addLambdaFunction), list it in the clients of a reservation, or remove the rule. [CB-UNBUDGETED-INGRESS]',
    ]);
  });

  test('the same sources pass once a reservation lists them', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const stranger = new ec2.SecurityGroup(h.data, 'Stranger', { vpc: h.vpc });
    h.proxy!.connections.allowFrom(stranger, ec2.Port.tcp(5432), 'by hand');
    h.proxy!.connections.securityGroups[0].addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.allTcp(), 'office');
    h.budget.addReservation({ name: 'ops', connections: 10, throughProxy: true, clients: [stranger, ec2.Peer.ipv4('10.0.0.0/8')] });
    h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
    expect(synthErrors(h.app)).toEqual([]);
  });

  test('a second budget on the same database does not count the first one\'s consumers', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
    const second = new ConnectionBudget(h.data, 'Second', { database: DatabaseTarget.fromInstance(h.database), proxy: h.proxy });
    second.addReservation({ name: 'admin', connections: 1 });
    expect(synthErrors(h.app)).toEqual([expect.stringMatching(
      /^\[Services\/Web\/SecurityGroup\/DataDbProxyProxySecurityGroup.*:5432 to\] ConnectionBudget 'Data\/Second': the security group rule 'Services\/Web\/SecurityGroup\/DataDbProxyProxySecurityGroup.*:5432 to' lets security group 'Services\/Web\/SecurityGroup' connect to 'Data\/Db\/Proxy' on port 5432.*\[CB-UNBUDGETED-INGRESS\]$/)]);
  });
});

describe('services of two stacks that share logical IDs', () => {
  test('each counts its own autoscaling maximum, at synth and as the CLI reads the templates', () => {
    // GIVEN 'Services/Web' scaling to 5 tasks and 'Services2/Web', the same construct IDs (so the same logical IDs) in
    // another stack, scaling to 2; each with a fixed pool of 2
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Web', { desiredCount: 1, maxCapacity: 5 }, { pool: PoolSize.fixed(2) });
    const other = new Stack(h.app, 'Services2');
    const taskDefinition = new ecs.FargateTaskDefinition(other, 'WebTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const web = new ecs.FargateService(other, 'Web', { cluster: h.cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 });
    web.autoScaleTaskCount({ maxCapacity: 2 });
    h.budget.addEcsService(web, { pool: PoolSize.fixed(2) });
    // WHEN synthesized and read back as the CLI does
    const ledger = ledgerOf(h.app);
    // THEN 5 tasks × 200 % × 2 = 20 and 2 × 200 % × 2 = 8: the first service's scalable target is not the second's
    expect(Object.fromEntries(ledger.consumers.map((c) => [c.path, c.demand]))).toEqual({ 'Services/Web': 20, 'Services2/Web': 8 });
    expect(ledger.problems.map((p) => p.id)).not.toContain('CB-LEDGER-DIFFERS');
  });

  test('a service with autoscaling in a stack of another environment neither breaks synth nor counts for a budgeted service', () => {
    // GIVEN the budgeted 'Services/Web' and, in a stack of a fixed account and region, an unbudgeted service scaled to 50 tasks
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(2) });
    const abroad = new Stack(h.app, 'Abroad', { env: { account: '111111111111', region: 'us-east-1' } });
    const cluster = new ecs.Cluster(abroad, 'Cluster', { vpc: new ec2.Vpc(abroad, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
    const taskDefinition = new ecs.FargateTaskDefinition(abroad, 'Task');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    new ecs.FargateService(abroad, 'Other', { cluster, taskDefinition, minHealthyPercent: 100 }).autoScaleTaskCount({ maxCapacity: 50 });
    // WHEN synthesized THEN Web counts its own tasks only: 1 × 200 % × pool 2 (each target's ResourceId is read in its own stack)
    expect(synthErrors(h.app)).toEqual([]);
    expect(ledgerOf(h.app).consumers.map((c) => [c.path, c.demand])).toEqual([['Services/Web', 4]]);
  });

  test.each([
    ['another stack', (h: Harness) => new Stack(h.app, 'Scaling')],
    ['a nested stack of its own stack', (h: Harness) => new NestedStack(h.services, 'Scaling')],
  ])('a scalable target in %s whose ResourceId is an Fn.join counts its maximum', (_where, scope) => {
    // GIVEN 'Services/Web' (1 task, pool 2) scaled to 50 tasks by a target elsewhere, its ResourceId joined with Fn.join
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const web = h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(2) });
    const elsewhere = scope(h);
    new appscaling.ScalableTarget(elsewhere, 'Target', {
      serviceNamespace: appscaling.ServiceNamespace.ECS, scalableDimension: 'ecs:service:DesiredCount',
      resourceId: Fn.join('/', ['service', h.cluster.clusterName, web.serviceName]), minCapacity: 1, maxCapacity: 50,
      role: iam.Role.fromRoleArn(elsewhere, 'Role', 'arn:aws:iam::123456789012:role/scaling'),
    });
    // WHEN synthesized THEN synth counts 50 tasks × 200 % × 2 = 200, as the templates give it
    expect(synthErrors(h.app)).toEqual([]);
    expect(ledgerOf(h.app).consumers.map((c) => [c.path, c.demand])).toEqual([['Services/Web', 200]]);
  });
});
