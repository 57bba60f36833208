import {
  CfnParameter, Duration, Stack, aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_ecs as ecs, aws_events as events,
  aws_events_targets as targets, aws_lambda as lambda, aws_rds as rds, aws_scheduler as scheduler,
} from 'aws-cdk-lib';
import { PoolSettingsPreset, PoolSize } from '../../lib';
import { Harness, harness, synthErrors } from '../constructs/harness';

// Each case is an app the budget computed as fitting, changed by ordinary CDK code afterwards (or beside it).
// Before the verification of the synthesized templates every one of them passed synth.

function fn(h: Harness, name: string, reservedConcurrentExecutions?: number): lambda.Function {
  return new lambda.Function(h.services, name, {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    vpc: h.vpc, reservedConcurrentExecutions,
  });
}

const ids = (errors: string[]) => errors.map((e) => /\[(CB-[A-Z-]+)\]$/.exec(e)?.[1]);

describe('a pool variable the budget delivers deploys as the budget says, or synth fails', () => {
  test('addEnvironment on the container after registration', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(20) });
    api.taskDefinition.defaultContainer!.addEnvironment('DB_POOL_MAX', '50');
    expect(synthErrors(h.app)).toEqual([
      "[Services/Api] ConnectionBudget 'Data/Budget': the container 'app' of 'Services/ApiTask' deploys DB_POOL_MAX as '50', but the budget delivered '20' and counts that. "
      + "Remove the other assignment of DB_POOL_MAX (addEnvironment, an override, a secret); to change the pool, change the consumer's options where it is registered. [CB-VARIABLE-OVERWRITTEN]",
    ]);
  });

  test('addEnvironment on a Lambda function after registration, and a secret of the same name', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const api = fn(h, 'Api', 10);
    h.budget.addLambdaFunction(api, { pool: PoolSize.fixed(2) });
    api.addEnvironment('DB_POOL_MAX', '40');
    const web = h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(5) });
    web.taskDefinition.defaultContainer!.addSecret('DB_POOL_MIN', ecs.Secret.fromSecretsManager(h.database.secret!));
    expect(synthErrors(h.app)).toEqual([
      expect.stringMatching(/^\[Services\/Api\] .*the function 'Services\/Api' deploys DB_POOL_MAX as '40', but the budget delivered '2' and counts that\..*\[CB-VARIABLE-OVERWRITTEN\]$/),
      expect.stringMatching(/^\[Services\/Web\] .*the container 'app' of 'Services\/WebTask' deploys DB_POOL_MIN as a secret, but the budget delivered '1'.*\[CB-VARIABLE-OVERWRITTEN\]$/),
    ]);
  });

  test('a preset may not write a variable the app already sets, nor one the platform owns', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'UrlTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), environment: { DATABASE_URL: 'postgres://db/app' } });
    const url = new ecs.FargateService(h.services, 'Url', { cluster: h.cluster, taskDefinition, minHealthyPercent: 100 });
    expect(() => h.budget.addEcsService(url, { poolSettings: PoolSettingsPreset.custom({ maxSize: 'DATABASE_URL' }) })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Url'): container 'app' of 'Services/UrlTask' already sets DATABASE_URL, which the pool settings would overwrite; "
      + "pass a poolSettings preset with another prefix or variable names, or remove the app's own value.");
    expect(() => h.budget.addEcsService(url, { poolSettings: PoolSettingsPreset.custom({ maxSize: 'PATH' }) })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Url'): invalid options:\n- environment variable name 'PATH' belongs to the operating system, a language runtime or AWS "
      + '(AWS_*, ECS_*, LAMBDA_*, PATH, HOME and the like); name the pool setting after the pool');
    const api = fn(h, 'Api', 5);
    api.addEnvironment('POOL', '3');
    expect(() => h.budget.addLambdaFunction(api, { poolSettings: PoolSettingsPreset.custom({ maxSize: 'POOL' }) })).toThrow(
      "ConnectionBudget 'Data/Budget': addLambdaFunction('Services/Api'): function 'Services/Api' already sets POOL, which the pool settings would overwrite; "
      + "pass a poolSettings preset with another prefix or variable names, or remove the app's own value.");
  });
});

describe('every ECS scalable target counts, whoever made it', () => {
  test('a hand-made target that names the service by its name attribute, in another stack, counts its maximum', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const cfn = api.node.defaultChild as ecs.CfnService;
    new appscaling.CfnScalableTarget(new Stack(h.app, 'Scaling'), 'Hand', {
      serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', minCapacity: 1, maxCapacity: 30,
      resourceId: `service/${h.cluster.clusterName}/${cfn.attrName}`, roleArn: 'arn:aws:iam::111111111111:role/scaling',
    });
    // 30 tasks × 200 % × pool 10 = 600 within floor(1000 × 90 %) − 5 = 895.
    expect(synthErrors(h.app)).toEqual([]);
    expect(h.budget._evaluation().consumers[0].instances?.explanation).toBe('30 tasks (autoscaling maximum) × 200 % rolling surge = 60 tasks');
  });

  test('a target whose service the templates cannot tell fails synth', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    const name = new CfnParameter(h.services, 'ServiceName', { type: 'String' });
    new appscaling.CfnScalableTarget(h.services, 'Blind', {
      serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', minCapacity: 1, maxCapacity: 300,
      resourceId: `service/${h.cluster.clusterName}/${name.valueAsString}`, roleArn: 'arn:aws:iam::111111111111:role/scaling',
    });
    expect(synthErrors(h.app)).toEqual([
      "[Services/Blind] ConnectionBudget 'Data/Budget': the ECS scalable target 'Services/Blind' scales a ResourceId made from Services/Cluster, parameter 'ServiceName' of stack 'Services', "
      + 'a service the budget cannot tell from the templates. Build its ResourceId from the service\'s own attributes (service.serviceName and its cluster\'s name), '
      + 'or from literal names, so the budget counts it for the right service. [CB-UNATTRIBUTED-SCALABLE-TARGET]',
    ]);
  });
  test('a target naming a service literally, by a name no service of the app has, fails synth while a budgeted service\'s name is generated', () => {
    // GIVEN 'Services/Api', whose name CloudFormation generates, and a target with a name copied from a deployed service
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    new appscaling.CfnScalableTarget(h.services, 'Copied', {
      serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', minCapacity: 1, maxCapacity: 300,
      resourceId: `service/${h.cluster.clusterName}/Services-ApiService8A9B1C2D-XyZ123`, roleArn: 'arn:aws:iam::111111111111:role/scaling',
    });
    // WHEN synthesized THEN it may be that service, scaled to 300 tasks: the budget refuses to guess
    expect(synthErrors(h.app)).toEqual([
      "[Services/Copied] ConnectionBudget 'Data/Budget': the ECS scalable target 'Services/Copied' scales the service named 'Services-ApiService8A9B1C2D-XyZ123', "
      + "which no service of these templates is named, while the name of 'Services/Api' is not in its template (CloudFormation generates it, or it is known only "
      + 'at deploy), a service the budget cannot tell from the templates. Build its ResourceId from the service\'s own attributes (service.serviceName and its '
      + 'cluster\'s name), or from literal names, so the budget counts it for the right service. [CB-UNATTRIBUTED-SCALABLE-TARGET]',
    ]);
  });

  test('a target naming a budgeted service by the literal name it is given counts its maximum', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (api.node.defaultChild as ecs.CfnService).serviceName = 'api';
    new appscaling.CfnScalableTarget(h.services, 'Named', {
      serviceNamespace: 'ecs', scalableDimension: 'ecs:service:DesiredCount', minCapacity: 1, maxCapacity: 30,
      resourceId: `service/${h.cluster.clusterName}/api`, roleArn: 'arn:aws:iam::111111111111:role/scaling',
    });
    expect(synthErrors(h.app)).toEqual([]);
    expect(h.budget._evaluation().consumers[0].instances?.explanation).toBe('30 tasks (autoscaling maximum) × 200 % rolling surge = 60 tasks');
  });
});

describe('clients no rule reveals', () => {
  test('an unregistered service in a registered consumer\'s security group, and a function in the proxy\'s', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(5) });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'StowawayTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    new ecs.FargateService(h.services, 'Stowaway', { cluster: h.cluster, taskDefinition, securityGroups: api.connections.securityGroups, minHealthyPercent: 100 });
    new lambda.Function(h.data, 'Sneaky', {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'),
      vpc: h.vpc, securityGroups: h.proxy!.connections.securityGroups,
    });
    expect(synthErrors(h.app)).toEqual([
      "[Data/Sneaky] ConnectionBudget 'Data/Budget': 'Data/Sneaky' is placed in the security group of 'Data/Db/Proxy' (security group 'Data/Db/Proxy/ProxySecurityGroup'), "
      + "which may connect to 'Data/Db/Proxy' and 'Data/Db', but the budget does not count its connections. Register 'Data/Sneaky' with the budget "
      + '(addEcsService, addEcsTask, addLambdaFunction), or give it a security group of its own. [CB-UNBUDGETED-CLIENT]',
      "[Services/Stowaway] ConnectionBudget 'Data/Budget': 'Services/Stowaway' is placed in a consumer's security group (security group 'Services/Api/SecurityGroup'), "
      + "which may connect to 'Data/Db/Proxy' and 'Data/Db', but the budget does not count its connections. Register 'Services/Stowaway' with the budget "
      + '(addEcsService, addEcsTask, addLambdaFunction), or give it a security group of its own. [CB-UNBUDGETED-CLIENT]',
    ]);
  });

  test('a rule that runs a registered service\'s task definition', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(5) });
    const rule = new events.Rule(h.services, 'Backfill', { schedule: events.Schedule.rate(Duration.hours(1)) });
    rule.addTarget(new targets.EcsTask({ cluster: h.cluster, taskDefinition: api.taskDefinition, taskCount: 8, securityGroups: api.connections.securityGroups }));
    expect(ids(synthErrors(h.app))).toEqual(['CB-UNBUDGETED-CLIENT']);
    expect(synthErrors(h.app)[0]).toContain("'Services/Backfill (target 'Target0')' runs the task definition 'Services/ApiTask' of the service 'Services/Api', "
      + "whose connections are counted only for the service's tasks, but the budget does not count its connections. "
      + "Give 'Services/Backfill (target 'Target0')' a task definition of its own and register it with addEcsTask (or addEcsService).");
  });

  test('an EventBridge Scheduler schedule running a registered task definition counts its task count', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'JobTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/job:1') });
    const group = new ec2.SecurityGroup(h.services, 'JobGroup', { vpc: h.vpc });
    new scheduler.CfnSchedule(h.services, 'Nightly', {
      flexibleTimeWindow: { mode: 'OFF' }, scheduleExpression: 'rate(1 hour)',
      target: {
        arn: h.cluster.clusterArn, roleArn: 'arn:aws:iam::111111111111:role/scheduler',
        ecsParameters: { taskDefinitionArn: taskDefinition.taskDefinitionArn, taskCount: 7, networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: [group.securityGroupId] } } },
      },
    });
    h.budget.addEcsTask(taskDefinition, { maxConcurrentRuns: 1, pool: PoolSize.fixed(3) });
    expect(synthErrors(h.app)).toEqual([]);
    expect(h.budget._evaluation().consumers[0].instances?.explanation).toBe('1 concurrent run × 7 tasks (EventBridge target task count) = 7 tasks');
  });

  test('a second container of a registered task with its own pool fails until it is registered too', () => {
    const build = (registerWorker: boolean) => {
      const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
      const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'ApiTask');
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
      taskDefinition.addContainer('worker', {
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/worker:1'),
        // Unregistered, the worker sizes its own pool; registered, the budget delivers its pool settings instead.
        environment: { DATABASE_URL: `postgres://${h.proxy!.endpoint}:5432/app`, ...(registerWorker ? {} : { DB_POOL_MAX: '10' }) },
      });
      const api = new ecs.FargateService(h.services, 'Api', { cluster: h.cluster, taskDefinition, minHealthyPercent: 100 });
      h.budget.addEcsService(api, { pool: PoolSize.fixed(5) });
      if (registerWorker) {
        h.budget.addEcsService(api, { containerName: 'worker', pool: PoolSize.fixed(10) });
      }
      return h;
    };
    const unregistered = build(false);
    expect(synthErrors(unregistered.app)).toEqual([
      "[Services/ApiTask] ConnectionBudget 'Data/Budget': 'Services/ApiTask' has a container 'worker' that connects to the database (DATABASE_URL refers to the proxy or the database; "
      + "it sets DB_POOL_MAX), and only 'app' of its containers is registered, but the budget does not count its connections. "
      + "Register the container too: call the same add method again with containerName 'worker' and its own pool, processes and preset. [CB-UNBUDGETED-CLIENT]",
    ]);
    const registered = build(true);
    expect(synthErrors(registered.app)).toEqual([]);
    expect(registered.budget._evaluation().consumers.map((c) => [c.input.path, c.demand])).toEqual([['Services/Api', 10], ['Services/Api[worker]', 20]]);
  });
});

describe('parameters that shrink capacity are read like max_connections', () => {
  test('superuser_reserved_connections and rds.rds_superuser_reserved_connections', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: null, parameters: { 'superuser_reserved_connections': '20', 'rds.rds_superuser_reserved_connections': '10' } });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    expect(h.budget._evaluation().capacity).toMatchObject({ engineReserve: 30, usable: 470, engineReserveBasis: 'superuser_reserved_connections 20 + rds.rds_superuser_reserved_connections 10' });
  });

  test('MySQL max_user_connections caps every ordinary connection', () => {
    const h = harness({
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }), maxConnectionsParameter: '1000', proxyPercent: 90,
      parameters: { max_user_connections: '100' },
    });
    h.service('Api', { desiredCount: 1, maxCapacity: 10 }, { pool: PoolSize.fixed(10) });
    expect(synthErrors(h.app)[0]).toMatch(/worst-case demand 200 exceeds the usable connections 95 by 105: max_user_connections 100 \(of max_connections 1000 .*\) = 100, less 5 kept by RDS Proxy\./);
  });

  test.each<[string, string, string]>([
    ['1e3', "'1e3'", 'a whole number from 1 to 262143, or an RDS formula'],
    ['500.5', "'500.5'", 'a whole number from 1 to 262143, or an RDS formula'],
    ['99999999', "'99999999'", 'a whole number from 1 to 262143, or an RDS formula'],
  ])('max_connections %s is an error, not an estimate', (value, shown, allowed) => {
    const h = harness({ maxConnectionsParameter: value, proxyPercent: 90 });
    h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
    expect(synthErrors(h.app)).toEqual([
      `[Data/Budget] ConnectionBudget 'Data/Budget': the max_connections parameter of 'Data/Params' is ${shown}, but it must be ${allowed}. `
      + "Write max_connections in 'Data/Params' as a whole number in digits. [CB-INVALID-VALUE]",
    ]);
  });
});

describe('maxConnections on the budget is checked against the database', () => {
  test('5000 on a db.r6g.large whose parameter group keeps the default fails; 1e15 is refused outright', () => {
    const h = harness({ proxyPercent: 90, budget: { maxConnections: 5000 } });
    h.service('Api', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': maxConnections 5000 is more than 'Data/Db' runs with: its parameter group does not set max_connections, so it keeps the default, "
      + "max_connections 1553 (estimated for db.r6g.large). Set max_connections to 5000 in the parameter group that 'Data/Db' uses (the budget then reads it there), "
      + 'or pass maxConnections of at most 1553. [CB-MAX-CONNECTIONS-CLAIM]',
    ]);
    expect(() => harness({ proxyPercent: 90, budget: { maxConnections: 1e15 } })).toThrow(
      "ConnectionBudget 'Data/Budget': invalid properties:\n- maxConnections must be a whole number from 1 to 262143, got 1000000000000000");
  });
});

test('maxTasks 0 as the bound of a token desired count is refused', () => {
  const h = harness({ maxConnectionsParameter: '500', proxyPercent: 90 });
  const svc = h.service('Api', { desiredCount: 1, register: false });
  expect(() => h.budget.addEcsService(svc, { maxTasks: 0 })).toThrow(
    "ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): invalid options:\n- maxTasks must be a whole number from 1 to 5000, got 0");
});

describe('raw overrides are read from the templates', () => {
  test.each<[string, (h: Harness) => void, RegExp]>([
    ['MaxCapacity of the scalable target', (h) => {
      const target = h.services.node.findAll().find((c) => c instanceof appscaling.CfnScalableTarget) as appscaling.CfnScalableTarget;
      target.addPropertyOverride('MaxCapacity', 40);
    }, /the ledger gives the worst case of 'Services\/Api' as 200 = 20 tasks .* but the templates give 800 = 80 tasks × pool 10 \(40 tasks \(autoscaling maximum\) × 200 % rolling surge\); steady 400, read from 'Services\/Api' and scalable target 'Services\/Api\/TaskCount\/Target'\./],
    ['MaximumPercent of the service', (h) => {
      (h.services.node.findChild('Api').node.defaultChild as ecs.CfnService).addPropertyOverride('DeploymentConfiguration.MaximumPercent', 400);
    }, /but the templates give 400 = 40 tasks × pool 10 \(10 tasks \(autoscaling maximum\) × 400 % rolling surge\)/],
    ['MaxConnectionsPercent of the proxy', (h) => {
      const group = h.proxy!.node.findChild('ProxyTargetGroup') as rds.CfnDBProxyTargetGroup;
      group.addPropertyOverride('ConnectionPoolConfigurationInfo.MaxConnectionsPercent', 10);
    }, /the ledger gives the capacity as max_connections 1000, engine reserve 5, usable 995, proxy 90 % = 900, ceiling 895, but the templates give max_connections 1000, engine reserve 5, usable 995, proxy 10 % = 100, ceiling 95\./],
  ])('%s', (_name, override, message) => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    h.service('Api', { desiredCount: 2, maxCapacity: 10 }, { pool: PoolSize.fixed(10) });
    override(h);
    const errors = synthErrors(h.app);
    expect(errors.filter((e) => e.endsWith('[CB-LEDGER-DIFFERS]'))).toEqual([expect.stringMatching(message)]);
  });

  test('ReservedConcurrentExecutions of a function', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
    const api = fn(h, 'Api', 10);
    h.budget.addLambdaFunction(api, { pool: PoolSize.fixed(2) });
    (api.node.defaultChild as lambda.CfnFunction).addPropertyOverride('ReservedConcurrentExecutions', 900);
    expect(synthErrors(h.app)).toEqual([
      expect.stringMatching(/^\[Services\/Api\] .*the ledger gives the worst case of 'Services\/Api' as 20 = 10 environments .* but the templates give 1800 = 900 environments × pool 2 \(900 execution environments \(reserved concurrency\)\); steady 1800, read from 'Services\/Api'\..*\[CB-LEDGER-DIFFERS\]$/),
      expect.stringMatching(/^\[Data\/Budget\] .*worst-case demand 1800 exceeds the proxy ceiling 895 by 905.*\[CB-OVER-CAPACITY\]$/),
    ]);
  });
});
