import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { App, CfnResource, Duration, Fn, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_events as events, aws_lambda as lambda } from 'aws-cdk-lib';
import { ConnectionBudget, ConnectionBudgetFromAllocationProps, ConnectionBudgetMonitoring, PoolSize } from '../../lib';
import { synthErrors } from './harness';
import { ledgerOf } from '../helpers/ledgers';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const PARAMETER = '/connection-budget/Platform/Data/Budget/allocations/orders';
const CONTEXT_KEY = `ssm:account=${ENV.account}:parameterName=${PARAMETER}:region=${ENV.region}`;

function record(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1, kind: 'connection-budget-allocation', budgetPath: 'Platform/Data/Budget', allocation: 'orders', connections: 120,
    engine: 'aurora-postgresql', proxyEndpoint: 'proxy.proxy-abc.eu-west-1.rds.amazonaws.com', port: 5432, databaseName: 'app',
    clientSecurityGroupId: 'sg-0123456789abcdef0', secretArn: null, proxyIdleClientTimeoutSeconds: 900, ...overrides,
  });
}

/** A team app: a VPC, a cluster, a budget from the allocation; services registered by the test. */
function teamApp(options: { context?: Record<string, unknown>; props?: Partial<ConnectionBudgetFromAllocationProps>; env?: boolean } = {}) {
  const app = new App({ context: options.context ?? { [CONTEXT_KEY]: record() } });
  const stack = new Stack(app, 'Team', options.env === false ? {} : { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const budget = ConnectionBudget.fromAllocation(stack, 'Budget', { owningBudgetPath: 'Platform/Data/Budget', allocationName: 'orders', ...options.props });
  const service = (id: string, desiredCount: number, pool?: PoolSize) => {
    const task = new ecs.FargateTaskDefinition(stack, `${id}Task`);
    task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app') });
    const s = new ecs.FargateService(stack, id, { cluster, taskDefinition: task, desiredCount });
    return { service: s, handle: budget.addEcsService(s, { pool }) };
  };
  return { app, stack, vpc, budget, service };
}

describe('a budget from a looked-up allocation', () => {
  // 120 connections; Orders 4 tasks × 200 % = 8 tasks, shares the whole allocation: pool 15 (8 × 15 = 120).
  const t = teamApp();
  const { service } = t.service('Orders', 4);
  const fn = new lambda.Function(t.stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'),
    vpc: t.vpc, reservedConcurrentExecutions: 5,
  });
  t.budget.addLambdaFunction(fn, { pool: PoolSize.fixed(1) });
  const errors = synthErrors(t.app);
  const template = Template.fromStack(t.stack);
  const evaluation = t.budget._evaluation();

  test('the allocation is the ceiling, and the pools fill it', () => {
    expect(errors).toEqual([]);
    expect(evaluation.capacity).toMatchObject({ effectiveCeiling: 120, limitedBy: 'allocation', engineReserve: 0 });
    expect(evaluation.capacity!.maxConnections).toEqual({
      value: 120, source: 'allocation', basis: `SSM parameter '${PARAMETER}', cached in cdk.context.json`,
    });
    expect(evaluation.totals).toMatchObject({ demand: 117, ceiling: 120 });
    expect(evaluation.consumers.map((c) => [c.input.path, c.poolSize, c.demand])).toEqual([['Team/Fn', 1, 5], ['Team/Orders', 14, 112]]);
  });

  test('consumers are placed in the client security group, and get the owning proxy\'s endpoint and the proxy\'s idle timeout', () => {
    const services = template.findResources('AWS::ECS::Service');
    const groups = Object.values<any>(services)[0].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups;
    expect(groups).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^OrdersSecurityGroup/), 'GroupId'] }, 'sg-0123456789abcdef0']);
    const functions = Object.entries<any>(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('Fn'));
    expect(functions.map(([, f]) => f.Properties.VpcConfig.SecurityGroupIds)).toEqual([
      [{ 'Fn::GetAtt': [expect.stringMatching(/^FnSecurityGroup/), 'GroupId'] }, 'sg-0123456789abcdef0'],
    ]);
    const env = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0].Environment;
    expect(env).toEqual(expect.arrayContaining([
      { Name: 'DB_HOST', Value: 'proxy.proxy-abc.eu-west-1.rds.amazonaws.com' }, { Name: 'DB_PORT', Value: '5432' }, { Name: 'DB_NAME', Value: 'app' },
      { Name: 'DB_POOL_MAX', Value: '14' },
    ]));
    // Idle timeout below the owning proxy's 900 s, not RDS Proxy's default 1,800 s.
    expect(Number(env.find((e: any) => e.Name === 'DB_POOL_IDLE_TIMEOUT_MS').Value)).toBeLessThan(900_000);
    expect(template.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    void service;
  });

  test('a guard checks the live record before any consumer updates', () => {
    const [guardId, guard] = Object.entries<any>(template.findResources('Custom::ConnectionBudgetAllocationGuard'))[0];
    expect(guard.Properties).toMatchObject({
      BudgetPath: 'Team/Budget', OwningBudgetPath: 'Platform/Data/Budget', AllocationName: 'orders', ParameterName: PARAMETER,
      Record: `{{resolve:ssm:${PARAMETER}}}`, WorstCase: '117', SynthesizedConnections: '120',
    });
    for (const type of ['AWS::ECS::Service', 'AWS::Lambda::Function']) {
      const consumers = Object.entries<any>(template.findResources(type)).filter(([, r]) => r.Properties.VpcConfig || type === 'AWS::ECS::Service');
      for (const [, consumer] of consumers) expect(consumer.DependsOn).toEqual(expect.arrayContaining([guardId]));
    }
  });

  test('the guard\'s function holds no permission beyond its logs and its own stack\'s status', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const handlerRole = Object.entries<any>(roles).find(([id]) => id.startsWith('BudgetAllocationGuardHandler'))!;
    expect(handlerRole[1].Properties.ManagedPolicyArns).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] },
    ]);
    const policies = Object.values<any>(template.findResources('AWS::IAM::Policy'));
    expect(policies.filter((p) => JSON.stringify(p.Properties.Roles).includes(handlerRole[0])).map((p) => p.Properties.PolicyDocument.Statement)).toEqual([[
      // Whether CloudFormation is rolling this stack back: the guard lets a rollback through. CloudFormation reads the record.
      { Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
    ]]);
  });

  test('the ledger records the allocation instead of a database', () => {
    const ledger = t.budget._evaluation();
    expect(ledger.input.capacity.allocation).toMatchObject({ budgetPath: 'Platform/Data/Budget', name: 'orders', connections: 120 });
    const stored = ledgerOf(t.budget);
    expect(stored.inputs).toMatchObject({
      database: null, proxy: null,
      allocation: {
        budgetPath: 'Platform/Data/Budget', name: 'orders', connections: 120, source: 'lookup', pending: false, parameterName: PARAMETER,
        clientSecurityGroupId: 'sg-0123456789abcdef0', port: 5432, proxyIdleClientTimeoutSeconds: 900,
      },
    });
    expect(stored.schemaVersion).toBe(4);
  });
});

describe('a consumer whose security groups change on its L1 after registration', () => {
  test('keeps them beside the client security group', () => {
    const t = teamApp();
    const { service } = t.service('Orders', 2);
    const cfn = service.node.defaultChild as ecs.CfnService;
    const network = t.stack.resolve(cfn.networkConfiguration);
    cfn.networkConfiguration = { awsvpcConfiguration: { ...network.awsvpcConfiguration, securityGroups: [...network.awsvpcConfiguration.securityGroups, 'sg-0aaaaaaaaaaaaaaaa'] } };
    const groups = Object.values<any>(Template.fromStack(t.stack).findResources('AWS::ECS::Service'))[0].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups;
    expect(groups).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^OrdersSecurityGroup/), 'GroupId'] }, 'sg-0aaaaaaaaaaaaaaaa', 'sg-0123456789abcdef0']);
  });
});

describe('a deploy-time guard changed after the budget computed', () => {
  const guardL1 = (t: ReturnType<typeof teamApp>) => t.budget.node.findChild('AllocationGuard').node.findChild('Resource').node.defaultChild as CfnResource;

  test.each([
    ['an overridden worst case', (t: ReturnType<typeof teamApp>) => guardL1(t).addPropertyOverride('WorstCase', '0'),
      "ConnectionBudget 'Team/Budget': the ledger gives the WorstCase of the deploy-time guard of 'Team/Budget' as 16, but the templates give '0'."],
    ['a record replaced by a literal', (t: ReturnType<typeof teamApp>) => guardL1(t).addPropertyOverride('Record', '{"connections":1000}'),
      `the ledger gives the Record of the deploy-time guard of 'Team/Budget' as {{resolve:ssm:${PARAMETER}}}, but the templates give '{"connections":1000}'.`],
    ['a guard removed', (t: ReturnType<typeof teamApp>) => t.budget.node.findChild('AllocationGuard').node.tryRemoveChild('Resource'),
      "the ledger gives the deploy-time guard of 'Team/Budget' as one Custom::ConnectionBudgetAllocationGuard, but the templates give none."],
    ['a consumer that no longer waits for it', (t: ReturnType<typeof teamApp>) => (t.stack.node.findChild('Orders').node.defaultChild as CfnResource).addOverride('DependsOn', []),
      "the ledger gives the dependency of 'Team/Orders' on the deploy-time guard of 'Team/Budget' as DependsOn the guard, but the templates give none."],
  ])('%s fails synth with CB-LEDGER-DIFFERS', (_, change, message) => {
    const t = teamApp();
    t.service('Orders', 2, PoolSize.fixed(4));
    change(t);
    const errors = synthErrors(t.app);
    expect(errors).toEqual([expect.stringContaining(message)]);
    expect(errors[0]).toMatch(/\[CB-LEDGER-DIFFERS\]$/);
  });
});

describe('a team whose consumers exceed the allocation', () => {
  test('fails synth, naming the allocation and what to change', () => {
    const t = teamApp();
    t.service('Orders', 10, PoolSize.fixed(10));
    expect(synthErrors(t.app)).toEqual([
      "[Team/Budget] ConnectionBudget 'Team/Budget': worst-case demand 200 exceeds the allocation 120 by 80: the allocation 'orders' of "
      + `'Platform/Data/Budget' 120 (SSM parameter '${PARAMETER}', cached in cdk.context.json). Every consumer can peak at once (CloudFormation deploys `
      + "services in parallel); largest: 'Team/Orders' 200 = 10 tasks (desired count) × 200 % rolling surge = 20 tasks × 1 process × 1 pool × pool 10. "
      + "Lower the desired count of 'Team/Orders' from 10 to 6, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), from 200 to 120, "
      + "lower its pool from 10 to 6, or ask the owners of 'Platform/Data/Budget' to raise the allocation 'orders' of 'Platform/Data/Budget' from 120 to "
      + "at least 200 (its connections in addAllocation), then refresh this app's cached record. [CB-OVER-CAPACITY]",
    ]);
  });
});

describe('a resource of the team\'s app in the client security group that the budget does not count', () => {
  test('fails synth as an unbudgeted client', () => {
    const t = teamApp();
    t.service('Orders', 2);
    const task = new ecs.FargateTaskDefinition(t.stack, 'SideTask');
    task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('side') });
    new ecs.FargateService(t.stack, 'Side', {
      cluster: new ecs.Cluster(t.stack, 'SideCluster', { vpc: t.vpc }), taskDefinition: task, securityGroups: [t.budget.allocationClientSecurityGroup!],
    });
    expect(synthErrors(t.app)).toEqual([
      "[Team/Side] ConnectionBudget 'Team/Budget': 'Team/Side' is placed in the security group of 'allocation:orders of Platform/Data/Budget' "
      + "(security group 'sg-0123456789abcdef0'), which may connect to 'allocation:orders of Platform/Data/Budget', but the budget does not count its "
      + "connections. Register 'Team/Side' with the budget (addEcsService, addEcsTask, addLambdaFunction), or give it a security group of its own. [CB-UNBUDGETED-CLIENT]",
    ]);
  });
});

describe('a scheduled task of the team\'s app', () => {
  const scheduled = (t: ReturnType<typeof teamApp>, securityGroups?: ec2.ISecurityGroup[]) => new patterns.ScheduledFargateTask(t.stack, 'Sync', {
    cluster: new ecs.Cluster(t.stack, 'JobCluster', { vpc: t.vpc }), schedule: events.Schedule.rate(Duration.hours(1)), securityGroups,
    subnetSelection: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    scheduledFargateTaskImageOptions: { image: ecs.ContainerImage.fromRegistry('sync') },
  });

  test('runs with its launcher\'s groups, so the launcher must list the client security group', () => {
    const t = teamApp();
    const task = scheduled(t);
    expect(() => t.budget.addEcsTask(task.taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(2) })).toThrow(
      "ConnectionBudget 'Team/Budget': addEcsTask('Team/Sync/ScheduledTaskDef'): its security groups are those of whatever runs it, and none of them is the "
      + "allocation's client security group (sg-0123456789abcdef0); add allocationClientSecurityGroup to the securityGroups of the rule target (or pass "
      + 'securityGroups), and register the task after the rule that runs it.');
  });

  test('counts once the launcher lists it', () => {
    const t = teamApp();
    const task = scheduled(t, [t.budget.allocationClientSecurityGroup!]);
    t.budget.addEcsTask(task.taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(2) });
    expect(synthErrors(t.app)).toEqual([]);
    expect(t.budget._evaluation().totals.demand).toBe(2);
  });
});

describe('the first synth, before CDK has looked the record up', () => {
  const t = teamApp({ context: {} });
  t.service('Orders', 2);

  test('does not stop the synth (CDK must look up after it), and reports the pending lookup as an error', () => {
    const assembly = t.app.synth();
    expect(assembly.manifest.missing?.map((m) => m.key)).toContain(CONTEXT_KEY);
    Annotations.fromStack(t.stack).hasError('/Team/Budget', Match.stringLikeRegexp(
      `^ConnectionBudget 'Team/Budget': the allocation 'orders' of 'Platform/Data/Budget' has not been looked up yet \\(SSM parameter '${PARAMETER}', `
      + 'not looked up yet\\), so this synth used CDK\'s dummy value and the budget has no ceiling\\. Run cdk synth .* \\[CB-ALLOCATION-NOT-LOOKED-UP\\]$'));
  });
});

describe('allocations that cannot be read', () => {
  test.each([
    ['not JSON', 'dummy', `the SSM parameter '${PARAMETER}' (cached in cdk.context.json) does not hold JSON (it starts "dummy"); it must hold an allocation record written by addAllocation.`],
    ['another version', record({ schemaVersion: 2 }), `the SSM parameter '${PARAMETER}' (cached in cdk.context.json) holds an allocation record of version 2, but this connection-budget reads version 1; use the library version the owning app uses.`],
    ['another allocation', record({ allocation: 'billing' }), `the SSM parameter '${PARAMETER}' (cached in cdk.context.json) holds the allocation 'billing' of 'Platform/Data/Budget', not 'orders' of 'Platform/Data/Budget'.`],
    ['a bad number', record({ connections: -1 }), `the SSM parameter '${PARAMETER}' (cached in cdk.context.json) holds an allocation record that is not valid: connections must be a whole number from 0 to 262143, got -1.`],
  ])('%s', (_, value, message) => {
    expect(() => teamApp({ context: { [CONTEXT_KEY]: value } })).toThrow(`ConnectionBudget 'Team/Budget': ${message}`);
  });

  test('a second budget of the same allocation in one app', () => {
    const t = teamApp();
    expect(() => ConnectionBudget.fromAllocation(t.stack, 'Budget2', { owningBudgetPath: 'Platform/Data/Budget', allocationName: 'orders' })).toThrow(
      "ConnectionBudget 'Team/Budget2': the allocation 'orders' of 'Platform/Data/Budget' is already the ceiling of 'Team/Budget' in this app, and two "
      + 'budgets could each fill it; register these consumers with that budget, or ask the owning app for an allocation of their own.');
  });

  test('a lookup in an environment-agnostic stack', () => {
    expect(() => teamApp({ env: false })).toThrow("ConnectionBudget 'Team/Budget': the stack 'Team' has no explicit account and region, which CDK's context lookup "
      + `of the record '${PARAMETER}' needs; give the stack env: { account, region }, or pass the allocation's attributes.`);
  });

  test('bad attributes', () => {
    expect(() => teamApp({ props: { attributes: { connections: 1.5, engine: 'oracle', proxyEndpoint: 'p', clientSecurityGroupId: 'group' } } })).toThrow(
      "ConnectionBudget 'Team/Budget': invalid properties:\n- attributes.connections must be a whole number from 0 to 262143, got 1.5\n"
      + '- attributes.engine must be one of rds-postgresql, rds-mysql, rds-mariadb, aurora-postgresql, aurora-mysql, got "oracle"\n'
      + '- attributes.clientSecurityGroupId must be a security group ID (sg-...), got "group"');
  });

  test('a client security group given as a token', () => {
    expect(() => teamApp({ props: { attributes: { connections: 50, engine: 'rds-postgresql', proxyEndpoint: 'p', clientSecurityGroupId: Fn.importValue('ClientGroup') } } }))
      .toThrow("ConnectionBudget 'Team/Budget': invalid properties:\n- attributes.clientSecurityGroupId must be known at synth: the budget checks which of this "
        + "app's resources are placed in that group, and a token (an import, a parameter) names a group only at deployment. Copy the ID from the owning app's "
        + 'record (the clientSecurityGroupId field of its allocation parameter), or leave out attributes to look the record up');
  });
});

describe('a budget from explicit attributes', () => {
  const t = teamApp({
    context: {}, env: false,
    props: { attributes: { connections: 50, engine: 'rds-mysql', proxyEndpoint: 'p.example', clientSecurityGroupId: 'sg-0123456789abcdef0', proxyIdleClientTimeout: Duration.minutes(10) } },
  });
  t.service('Orders', 1);

  test('grants nothing further, and takes no clients or direct consumers', () => {
    expect(() => t.budget.addAllocation({ name: 'x', connections: 1 })).toThrow(
      "ConnectionBudget 'Team/Budget': addAllocation('x'): this budget is itself an allocation of 'Platform/Data/Budget'; only the owning budget grants allocations.");
    const group = new ec2.SecurityGroup(t.stack, 'Admin', { vpc: t.vpc });
    expect(() => t.budget.addReservation({ name: 'admin', connections: 2, clients: [group] })).toThrow(
      "ConnectionBudget 'Team/Budget': reservation 'admin': this budget is an allocation of 'Platform/Data/Budget', whose rules stay in the owning app; "
      + 'pass no clients, and place them in the allocation\'s client security group (sg-0123456789abcdef0) yourself.');
    const task = new ecs.FargateTaskDefinition(t.stack, 'DirectTask');
    task.addContainer('app', { image: ecs.ContainerImage.fromRegistry('app') });
    const direct = new ecs.FargateService(t.stack, 'Direct', { cluster: new ecs.Cluster(t.stack, 'C2', { vpc: t.vpc }), taskDefinition: task });
    expect(() => t.budget.addEcsService(direct, { bypassProxy: true, pool: PoolSize.fixed(1) })).toThrow(
      "ConnectionBudget 'Team/Budget': addEcsService('Team/Direct'): bypassProxy is set, but this budget is an allocation of 'Platform/Data/Budget', "
      + 'which its consumers reach through the owning proxy only.');
  });

  test('is not monitored in the team\'s app: the database and proxy are the owning app\'s', () => {
    expect(() => new ConnectionBudgetMonitoring(t.stack, 'Monitoring', { budget: t.budget })).toThrow(
      "ConnectionBudgetMonitoring 'Team/Monitoring': the budget 'Team/Budget' is built from the allocation 'orders' of 'Platform/Data/Budget', whose database "
      + 'and proxy belong to the owning app; monitor them there, with ConnectionBudgetMonitoring on the owning budget.');
    t.stack.node.tryRemoveChild('Monitoring');
  });

  test('synthesizes offline in an environment-agnostic stack, without a guard', () => {
    expect(synthErrors(t.app)).toEqual([]);
    const template = Template.fromStack(t.stack);
    expect(template.findResources('Custom::ConnectionBudgetAllocationGuard')).toEqual({});
    expect(t.budget._evaluation().capacity).toMatchObject({ effectiveCeiling: 50, engine: 'rds-mysql' });
  });
});
