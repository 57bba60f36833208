import {
  Aws, CfnCondition, CfnParameter, Duration, Fn, Stack, aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_ecs as ecs,
  aws_events as events, aws_events_targets as targets, aws_lambda as lambda, aws_memorydb as memorydb, aws_opensearchservice as opensearch,
  aws_pipes as pipes, aws_rds as rds,
} from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget, PoolSettingsPreset, PoolSize } from '../../lib';
import { harness, Harness, synthErrors } from '../constructs/harness';

// Found by a second red-team pass: each passed as fitting (or failed a sound app) before its fix. A value written as
// an Fn::If deploys one of its branches, so every branch counts; a task definition can be run by name, and by a pipe.

const ingressFix = 'Register the client with the budget (addEcsService, addEcsTask, addLambdaFunction), list it in the clients of a reservation, or remove the rule. [CB-UNBUDGETED-INGRESS]';
const overrideFix = 'Set the value through the construct, not an override or an Aspect after synthesis planning, so the budget counts it; never edit a synthesized ledger. '
  + 'Until then, the budget\'s own warnings count what was registered, not what the templates deploy. [CB-LEDGER-DIFFERS]';

/** A condition CloudFormation decides at deploy. */
function condition(scope: Stack, id = 'Chosen'): string {
  return new CfnCondition(scope, id, { expression: Fn.conditionEquals(Aws.REGION, 'us-east-1') }).logicalId;
}

function jobTask(h: Harness, props: Partial<ecs.FargateTaskDefinitionProps> = {}): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'JobTask', props);
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/job:1') });
  return taskDefinition;
}

/** The worst-case explanation the budget gives a consumer. */
const explanation = (h: Harness, index = 0) => h.budget._evaluation().consumers[index].instances?.explanation;

describe('every branch of a condition counts', () => {
  test('an inline rule of the proxy\'s security group written as an Fn::If', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const group = h.proxy!.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup;
    group.addPropertyOverride('SecurityGroupIngress', Fn.conditionIf(condition(h.data), [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '0.0.0.0/0' }], Aws.NO_VALUE));
    expect(synthErrors(h.app)).toEqual([
      "[Data/Db/Proxy/ProxySecurityGroup] ConnectionBudget 'Data/Budget': the security group rule 'Data/Db/Proxy/ProxySecurityGroup' lets 0.0.0.0/0 (every IPv4 address) connect to "
      + `'Data/Db/Proxy' on port 5432, but that source is neither a consumer nor a reservation of the budget, so its connections are not counted. ${ingressFix}`,
    ]);
  });

  test('inline rules made only at deploy may open anything', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const rules = new CfnParameter(h.data, 'Rules', { type: 'String' });
    (h.proxy!.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup).addPropertyOverride('SecurityGroupIngress', rules.valueAsString);
    expect(synthErrors(h.app)).toEqual([
      "[Data/Db/Proxy/ProxySecurityGroup] ConnectionBudget 'Data/Budget': the security group rule 'Data/Db/Proxy/ProxySecurityGroup' lets the sources of inline rules "
      + "made only at deploy connect to 'Data/Db/Proxy' on ports known only at deploy, but that source is neither a consumer nor a reservation of the budget, "
      + `so its connections are not counted. ${ingressFix}`,
    ]);
  });

  test('a proxy whose security groups are an Fn::If is guarded in both', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const open = new ec2.SecurityGroup(h.data, 'Open', { vpc: h.vpc });
    open.addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.tcp(5432));
    (h.proxy!.node.defaultChild as rds.CfnDBProxy).addPropertyOverride('VpcSecurityGroupIds',
      Fn.conditionIf(condition(h.data), [open.securityGroupId], [h.proxy!.connections.securityGroups[0].securityGroupId]));
    expect(synthErrors(h.app)).toEqual([
      "[Data/Open] ConnectionBudget 'Data/Budget': the security group rule 'Data/Open' lets 10.0.0.0/8 connect to 'Data/Db/Proxy' on port 5432, "
      + `but that source is neither a consumer nor a reservation of the budget, so its connections are not counted. ${ingressFix}`,
    ]);
  });

  test('a rule whose targets are an Fn::If runs the service\'s task definition', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const rule = new events.Rule(h.services, 'Backfill', { schedule: events.Schedule.rate(Duration.hours(1)) });
    rule.addTarget(new targets.EcsTask({ cluster: h.cluster, taskDefinition: api.taskDefinition, taskCount: 50, securityGroups: api.connections.securityGroups }));
    const cfn = rule.node.defaultChild as events.CfnRule;
    cfn.addPropertyOverride('Targets', Fn.conditionIf(condition(h.services), h.services.resolve(cfn.targets), Aws.NO_VALUE));
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': 'Services/Backfill (target 'Target0')' runs the task definition 'Services/ApiTask' of the service 'Services/Api', "
      + "whose connections are counted only for the service's tasks, but the budget does not count its connections. "
      + "Give 'Services/Backfill (target 'Target0')' a task definition of its own and register it with addEcsTask (or addEcsService). [CB-UNBUDGETED-CLIENT]",
    ]);
  });

  test('a job\'s second rule, conditional in the construct or only in an override, counts its tasks', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = jobTask(h);
    const group = new ec2.SecurityGroup(h.services, 'JobGroup', { vpc: h.vpc });
    new events.Rule(h.services, 'Nightly', { schedule: events.Schedule.rate(Duration.hours(1)) })
      .addTarget(new targets.EcsTask({ cluster: h.cluster, taskDefinition, taskCount: 1, securityGroups: [group] }));
    const extra = new events.Rule(h.services, 'Extra', { schedule: events.Schedule.rate(Duration.hours(1)) });
    extra.addTarget(new targets.EcsTask({ cluster: h.cluster, taskDefinition, taskCount: 50, securityGroups: [group] }));
    const cfn = extra.node.defaultChild as events.CfnRule;
    const written = h.services.resolve(cfn.targets);
    cfn.targets = undefined;
    cfn.addPropertyOverride('Targets', Fn.conditionIf(condition(h.services), written, Aws.NO_VALUE));
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(3) });
    expect(synthErrors(h.app)).toEqual([
      "[Services/JobTask] ConnectionBudget 'Data/Budget': the ledger gives the worst case of 'Services/JobTask' as 3 = 1 task × pool 3 "
      + '(1 concurrent run × 1 task (EventBridge target task count)); steady 3, but the templates give 153 = 51 tasks × pool 3 '
      + '(1 concurrent run × 51 tasks (task counts of its EventBridge targets)); steady 153, '
      + `read from 'Services/Nightly (target 'Target0')' and 'Services/Extra (target 'Target0')'. ${overrideFix}`,
    ]);
  });

  test('a service\'s task definition swapped by an override, for a name or a choice, is unknown', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const byName = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const chosen = h.service('Web', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const other = new ecs.FargateTaskDefinition(h.services, 'OtherTask', { family: 'api-big-pool' });
    other.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), environment: { DB_POOL_MAX: '200' } });
    (byName.node.defaultChild as ecs.CfnService).addPropertyOverride('TaskDefinition', 'api-big-pool');
    (chosen.node.defaultChild as ecs.CfnService).addPropertyOverride('TaskDefinition',
      Fn.conditionIf(condition(h.services), other.taskDefinitionArn, chosen.taskDefinition.taskDefinitionArn));
    const fix = (path: string) => `Give '${path}' its task definition through the construct (the taskDefinition prop), not an override. [CB-UNRESOLVED-VALUE]`;
    expect(synthErrors(h.app)).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': the task definition of 'Services/Api' is unknown until deploy (its TaskDefinition is 'api-big-pool', "
      + `not one task definition of the app), so the worst case cannot be computed. ${fix('Services/Api')}`,
      "[Services/Web] ConnectionBudget 'Data/Budget': the task definition of 'Services/Web' is unknown until deploy (its TaskDefinition is one of "
      + "'Services/OtherTask' and 'Services/WebTask', chosen at deploy, not one task definition of the app), so the worst case cannot be computed. "
      + fix('Services/Web'),
    ]);
  });

  test('a scheduling strategy known only at deploy may be DAEMON', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const strategy = new CfnParameter(h.services, 'Strategy', { type: 'String', allowedValues: ['REPLICA', 'DAEMON'] });
    (api.node.defaultChild as ecs.CfnService).addPropertyOverride('SchedulingStrategy', strategy.valueAsString);
    expect(synthErrors(h.app)).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': the task count of 'Services/Api' is unknown until deploy (its SchedulingStrategy is known only at deploy, "
      + 'and a DAEMON service runs one task per container instance), so the worst case cannot be computed. '
      + "Pass maxTasks to addEcsService() for 'Services/Api': the most container instances its cluster can run. [CB-UNRESOLVED-VALUE]",
    ]);
  });

  test('the largest literal branch of a count outranks a smaller bound', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const desired = new CfnParameter(h.services, 'Count', { type: 'Number', default: 2, maxValue: 4 });
    const api = h.service('Api', { desiredCount: 1, register: false });
    (api.node.defaultChild as ecs.CfnService).desiredCount = desired.valueAsNumber;
    api.autoScaleTaskCount({ maxCapacity: 4 });
    const target = api.node.findAll().find((c): c is appscaling.CfnScalableTarget => c instanceof appscaling.CfnScalableTarget)!;
    target.addPropertyOverride('MaxCapacity', Fn.conditionIf(condition(h.services), 60, 4));
    h.budget.addEcsService(api, { maxTasks: 4, pool: PoolSize.fixed(5) });
    expect(synthErrors(h.app)).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': the ledger gives the worst case of 'Services/Api' as 40 = 8 tasks × pool 5 "
      + '(4 tasks (autoscaling maximum) × 200 % rolling surge); steady 20, but the templates give 600 = 120 tasks × pool 5 '
      + "(60 tasks (autoscaling maximum) × 200 % rolling surge); steady 300, read from 'Services/Api' and scalable target 'Services/Api/TaskCount/Target'. "
      + overrideFix,
    ]);
  });

  test('a reserved concurrency that a condition may leave out leaves the function unbounded', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const fn = new lambda.Function(h.services, 'Worker', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'), vpc: h.vpc,
      reservedConcurrentExecutions: 5,
    });
    h.budget.addLambdaFunction(fn, { pool: PoolSize.fixed(2) });
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('ReservedConcurrentExecutions', Fn.conditionIf(condition(h.services), 5, Aws.NO_VALUE));
    expect(synthErrors(h.app)).toEqual([
      "[Services/Worker] ConnectionBudget 'Data/Budget': the Lambda function 'Services/Worker' has no reserved concurrency when its condition leaves it out, "
      + "so its execution environments, each holding up to 2 connections, are unbounded. Set reservedConcurrentExecutions on 'Services/Worker': at most 447 fits "
      + 'in the 895 connections the other consumers leave of the proxy ceiling 895 (2 per execution environment). [CB-UNBOUNDED-LAMBDA]',
    ]);
  });

  test('a pool variable that one branch of the environment leaves out deploys nothing there', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const task = api.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
    const environment: Array<{ name: string }> = h.services.resolve(task.containerDefinitions)[0].environment;
    task.addPropertyOverride('ContainerDefinitions.0.Environment', Fn.conditionIf(condition(h.services),
      environment, environment.filter((e) => e.name !== 'DB_POOL_MAX')));
    expect(synthErrors(h.app)).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': the container 'app' of 'Services/ApiTask' deploys DB_POOL_MAX as '10' or nothing, but the budget delivered "
      + "'10' and counts that. Remove the other assignment of DB_POOL_MAX (addEnvironment, an override, a secret); to change the pool, change the consumer's "
      + 'options where it is registered. [CB-VARIABLE-OVERWRITTEN]',
    ]);
  });
});

describe('every launcher of a task definition counts', () => {
  test('an EventBridge Pipe\'s task count outranks a smaller tasksPerRun', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = jobTask(h);
    const group = new ec2.SecurityGroup(h.services, 'JobGroup', { vpc: h.vpc });
    new pipes.CfnPipe(h.services, 'Pipe', {
      roleArn: 'arn:aws:iam::111111111111:role/pipe', source: 'arn:aws:sqs:us-east-1:111111111111:jobs', target: h.cluster.clusterArn,
      targetParameters: { ecsTaskParameters: {
        taskDefinitionArn: taskDefinition.taskDefinitionArn, taskCount: 10, launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: [group.securityGroupId] } },
      } },
    });
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, tasksPerRun: 1, securityGroups: [group], pool: PoolSize.fixed(3) });
    expect(synthErrors(h.app)).toEqual([]);
    expect(explanation(h)).toBe('1 concurrent run × 10 tasks (EventBridge target task count) = 10 tasks');
  });

  test('a rule that names the task definition by its family in an ARN counts its task count', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = jobTask(h, { family: 'nightly-job' });
    const group = new ec2.SecurityGroup(h.services, 'JobGroup', { vpc: h.vpc });
    new events.CfnRule(h.services, 'Nightly', {
      scheduleExpression: 'rate(1 hour)',
      targets: [{
        id: 'Job', arn: h.cluster.clusterArn, roleArn: 'arn:aws:iam::111111111111:role/events',
        ecsParameters: {
          taskDefinitionArn: 'arn:aws:ecs:us-east-1:111111111111:task-definition/nightly-job:3', taskCount: 10, launchType: 'FARGATE',
          networkConfiguration: { awsVpcConfiguration: { subnets: ['subnet-1'], securityGroups: [group.securityGroupId] } },
        },
      }],
    });
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, tasksPerRun: 1, securityGroups: [group], pool: PoolSize.fixed(3) });
    expect(synthErrors(h.app)).toEqual([]);
    expect(explanation(h)).toBe('1 concurrent run × 10 tasks (EventBridge target task count) = 10 tasks');
  });

  test('a scalable target that names the service literally after a cluster reference scales it', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = jobTask(h);
    const api = new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, desiredCount: 2, minHealthyPercent: 100, serviceName: 'api' });
    new appscaling.ScalableTarget(h.services, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.ECS, scalableDimension: 'ecs:service:DesiredCount', minCapacity: 1, maxCapacity: 10,
      resourceId: `service/${h.cluster.clusterName}/api`,
    });
    h.budget.addEcsService(api, { pool: PoolSize.fixed(5) });
    expect(synthErrors(h.app)).toEqual([]);
    expect(explanation(h)).toBe('10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks');
  });
});

describe('paths in without a rule', () => {
  test('the Data API needs a reservation that counts it, made directly', () => {
    const withDataApi = () => {
      const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
      const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 });
      const cluster = new rds.DatabaseCluster(h.data, 'Cluster', {
        engine, vpc: h.vpc, enableDataApi: true,
        parameterGroup: new rds.ParameterGroup(h.data, 'ClusterParams', { engine, parameters: { max_connections: '1000' } }),
        writer: rds.ClusterInstance.provisioned('Writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE2) }),
      });
      const proxy = cluster.addProxy('Proxy', { vpc: h.vpc, secrets: [cluster.secret!], maxConnectionsPercent: 90 });
      return { h, budget: new ConnectionBudget(h.data, 'ClusterBudget', { database: DatabaseTarget.fromCluster(cluster), proxy }) };
    };
    const unreserved = withDataApi();
    expect(() => unreserved.budget.addReservation({ name: 'data-api', connections: 20, dataApi: true, throughProxy: true })).toThrow(
      "ConnectionBudget 'Data/ClusterBudget': addReservation('data-api'): reservation 'data-api' is for the Data API, which connects to the cluster's writer "
      + 'directly: drop throughProxy.');
    expect(synthErrors(unreserved.h.app)).toEqual([
      "[Data/Cluster] ConnectionBudget 'Data/ClusterBudget': 'Data/Cluster' has the RDS Data API on (EnableHttpEndpoint), whose callers reach the cluster's "
      + "writer without a security group rule, but the budget does not count its connections. Turn the Data API off (enableDataApi: false), or count its "
      + "connections: addReservation({ name: 'data-api', connections: <the most it may use>, dataApi: true }). [CB-UNBUDGETED-CLIENT]",
    ]);
    const reserved = withDataApi();
    reserved.budget.addReservation({ name: 'data-api', connections: 20, dataApi: true });
    expect(synthErrors(reserved.h.app)).toEqual([]);
    expect(reserved.budget._evaluation().capacity?.reservations).toEqual([{ name: 'data-api', connections: 20, throughProxy: false }]);
  });

  test('a sidecar that sets a custom preset\'s own variable holds a pool', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = jobTask(h);
    taskDefinition.addContainer('sidecar', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/side:1'), environment: { WORKER_POOL: '80' } });
    const api = new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, desiredCount: 2, minHealthyPercent: 100 });
    h.budget.addEcsService(api, { pool: PoolSize.fixed(5), poolSettings: PoolSettingsPreset.custom({ maxSize: 'WORKER_POOL' }) });
    expect(synthErrors(h.app)).toEqual([
      "[Services/JobTask] ConnectionBudget 'Data/Budget': 'Services/JobTask' has a container 'sidecar' that connects to the database (it sets WORKER_POOL), "
      + "and only 'app' of its containers is registered, but the budget does not count its connections. Register the container too: call the same add method "
      + "again with containerName 'sidecar' and its own pool, processes and preset. [CB-UNBUDGETED-CLIENT]",
    ]);
  });

  test('a proxy that shares the database\'s security group is refused', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: null });
    const proxy = h.database.addProxy('Shared', { vpc: h.vpc, secrets: [h.database.secret!], securityGroups: h.database.connections.securityGroups });
    expect(() => new ConnectionBudget(h.data, 'SharedBudget', { database: DatabaseTarget.fromInstance(h.database), proxy })).toThrow(
      "ConnectionBudget 'Data/SharedBudget': invalid properties:\n- the proxy 'Data/Db/Shared' shares the security group 'Data/Db/SecurityGroup' with the "
      + "database 'Data/Db', so every client allowed to reach the proxy can also reach the database around it; give the proxy a security group of its own "
      + '(the securityGroups of addProxy)');
  });
});

describe('sound apps pass', () => {
  test('a consumer in the VPC\'s default security group, beside a search domain and a MemoryDB cluster', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = jobTask(h);
    const defaultGroup = ec2.SecurityGroup.fromSecurityGroupId(h.services, 'Default', h.vpc.vpcDefaultSecurityGroup);
    const api = new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, securityGroups: [defaultGroup], desiredCount: 2, minHealthyPercent: 100 });
    h.budget.addEcsService(api, { pool: PoolSize.fixed(5) });
    new opensearch.CfnDomain(h.services, 'Search', { vpcOptions: { securityGroupIds: [defaultGroup.securityGroupId], subnetIds: [h.vpc.privateSubnets[0].subnetId] } });
    new memorydb.CfnCluster(h.services, 'Cache', { clusterName: 'cache', nodeType: 'db.t4g.small', aclName: 'open-access', securityGroupIds: [defaultGroup.securityGroupId] });
    expect(synthErrors(h.app)).toEqual([]);
    expect(explanation(h)).toBe('2 tasks (desired count) × 200 % rolling surge = 4 tasks');
  });

  test('a secret rotation function with a security group of its own and a reservation', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const rotation = new ec2.SecurityGroup(h.data, 'Rotation', { vpc: h.vpc });
    h.database.addRotationSingleUser({ securityGroup: rotation });
    h.budget.addReservation({ name: 'rotation', connections: 2, clients: [rotation] });
    expect(synthErrors(h.app)).toEqual([]);
  });
});
