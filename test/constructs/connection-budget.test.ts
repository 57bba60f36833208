import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  App, CfnParameter, Duration, Stack, Token,
  aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_rds as rds, Annotations as CoreAnnotations,
} from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget, PoolSettingsPreset, PoolSize } from '../../lib';
import { environmentOf, harness, POSTGRES, synthErrors } from './harness';

describe('a budget within capacity, services in another stack', () => {
  // GIVEN max_connections 500 in the parameter group, a proxy at 80 %: ceiling floor(500 × 0.8) − 5 = 395.
  const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
  h.service('Api', { desiredCount: 2, maxCapacity: 10 }, { pool: PoolSize.fixed(10) }); // 20 × 10 = 200
  h.service('Worker', { desiredCount: 3 }, { pool: PoolSize.share({ max: 30 }), processesPerTask: 2 }); // 6 tasks × 2 processes
  h.service('Batch', { desiredCount: 1, maxHealthyPercent: 100 }, {
    pool: PoolSize.fixed(4), overflowPerPool: 2, poolSettings: PoolSettingsPreset.generic('REPORTING_DB_POOL'), minIdleConnections: 0, acquireTimeout: Duration.seconds(5),
  });
  // WHEN
  const services = Template.fromStack(h.services).toJSON();
  const data = Template.fromStack(h.data);

  test('each service carries its derived pool settings as environment variables', () => {
    expect(environmentOf(services, 'ApiTask')).toEqual({
      DB_POOL_MAX: '10', DB_POOL_MIN: '1', DB_POOL_MAX_OVERFLOW: '0',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '30000', DB_POOL_IDLE_TIMEOUT_MS: '600000', DB_POOL_MAX_LIFETIME_MS: '1800000',
      DB_HOST: { 'Fn::ImportValue': expect.stringMatching(/DbProxy.*Endpoint/) }, DB_PORT: '5432', DB_NAME: 'postgres',
    });
    // 395 − 200 − 6 (Batch: 1 task × (4 + 2)) = 189 left; 12 connections per unit of pool → 15.
    expect(environmentOf(services, 'WorkerTask')).toMatchObject({ DB_POOL_MAX: '15', DB_POOL_MIN: '1' });
    expect(environmentOf(services, 'BatchTask')).toEqual({
      REPORTING_DB_POOL_MAX: '4', REPORTING_DB_POOL_MIN: '0', REPORTING_DB_POOL_MAX_OVERFLOW: '2',
      REPORTING_DB_POOL_ACQUIRE_TIMEOUT_MS: '5000', REPORTING_DB_POOL_IDLE_TIMEOUT_MS: '600000', REPORTING_DB_POOL_MAX_LIFETIME_MS: '1800000',
      REPORTING_DB_HOST: { 'Fn::ImportValue': expect.stringMatching(/DbProxy.*Endpoint/) }, REPORTING_DB_PORT: '5432', REPORTING_DB_NAME: 'postgres',
    });
  });

  test('each service gets ingress to the proxy on the engine port, in its own stack', () => {
    const ingress = Object.values<any>(services.Resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress');
    expect(ingress.map((r) => r.Properties.Description).sort()).toEqual([
      'Connections from Services/Api (connection budget Data/Budget)',
      'Connections from Services/Batch (connection budget Data/Budget)',
      'Connections from Services/Worker (connection budget Data/Budget)',
    ]);
    for (const rule of ingress) {
      expect(rule.Properties).toMatchObject({
        IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432,
        GroupId: { 'Fn::ImportValue': expect.stringMatching(/^Data:ExportsOutputFnGetAttDbProxyProxySecurityGroup/) },
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/SecurityGroup/), 'GroupId'] },
      });
    }
    // The data stack refers to nothing in the services stack, so it deploys first.
    expect(JSON.stringify(data.toJSON())).not.toMatch(/Fn::ImportValue/);
  });

  test('synth reports no budget problem', () => {
    expect(Annotations.fromStack(h.data).findWarning('/Data/Budget', Match.anyValue())).toEqual([]);
  });

  test('registering after the budget was computed fails and says why', () => {
    const late = new ecs.FargateService(h.services, 'Late', { cluster: h.cluster, taskDefinition: h.services.node.findChild('ApiTask') as ecs.FargateTaskDefinition });
    expect(() => h.budget.addEcsService(late)).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Late') was called after the budget was computed (for synthesis, or because something resolved one of its "
      + "values, such as a handle's poolSize, early); register every consumer while building the app, before anything resolves the budget's values.");
  });
});

describe('synth fails when worst-case demand exceeds the ceiling', () => {
  const overloaded = () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.service('Api', { desiredCount: 2, maxCapacity: 25 }, { pool: PoolSize.fixed(10) }); // 50 × 10 = 500
    return h;
  };

  test('app.synth() fails naming the budget, the numbers, the consumer with its multipliers and the fixes', () => {
    expect(synthErrors(overloaded().app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': worst-case demand 500 exceeds the proxy ceiling 395 by 105: "
      + "max_connections 500 (parameter group 'Data/Params') × 80 % = 400, less 5 kept by RDS Proxy. "
      + "Every consumer can peak at once (CloudFormation deploys services in parallel); largest: 'Services/Api' 500 = "
      + '25 tasks (autoscaling maximum) × 200 % rolling surge = 50 tasks × 1 process × 1 pool × pool 10. '
      + "Lower the autoscaling maximum of 'Services/Api' from 25 to 19, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), "
      + "from 200 to 156, lower its pool from 10 to 7, or raise max_connections from 500 to at least 632 (set it in the parameter group 'Data/Params'). [CB-OVER-CAPACITY]",
    ]);
  });

  test('Template.fromStack fails too', () => {
    expect(() => Template.fromStack(overloaded().services)).toThrow(/CB-OVER-CAPACITY/);
  });
});

describe('facts come from the L1 resources that deploy', () => {
  test('an L1 change to the deployment configuration counts, not the L2 prop', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const svc = h.service('Api', { desiredCount: 10, maxHealthyPercent: 100 }, { pool: PoolSize.fixed(10) }); // 100
    (svc.node.defaultChild as ecs.CfnService).deploymentConfiguration = { maximumPercent: 400 }; // 400
    expect(synthErrors(h.app).join()).toMatch(/'Services\/Api' 400 = 10 tasks \(desired count\) × 400 % rolling surge = 40 tasks/);
  });

  test('the proxy target group\'s MaxConnectionsPercent sets the ceiling', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 20 });
    h.service('Api', { desiredCount: 11 }, { pool: PoolSize.fixed(10) }); // 220 > floor(1000 × 20 %) − 5 = 195
    expect(synthErrors(h.app).join()).toMatch(/exceeds the proxy ceiling 195 by 25: max_connections 1000 \(parameter group 'Data\/Params'\) × 20 % = 200/);
  });

  test('a proxy left at the default 100 % is limited by the usable connections and warned about', () => {
    const h = harness({ maxConnectionsParameter: '100', proxyPercent: undefined, budget: { reservations: [{ name: 'migrations', connections: 10 }] } });
    h.service('Api', { desiredCount: 5 }, { pool: PoolSize.fixed(9) }); // 90 > 100 − 5 − 10 − 5 = 80
    const errors = synthErrors(h.app).join();
    const warnings = h.budget.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringMatching(/the proxy 'Data\/Db\/Proxy' may open 100 connections .* Set the proxy's maxConnectionsPercent to 85 .*\[ack: CB-PROXY-ABOVE-USABLE\]$/)]);
    expect(errors).toMatch(/exceeds the usable connections 80 by 10: max_connections 100 \(parameter group 'Data\/Params'\) − 5 engine reserve − 10 reserved for 'migrations' = 85, less 5 kept by RDS Proxy/);
  });

  test('the autoscaling maximum wins over the desired count, and an explicit bound stands in for a token', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const max = new CfnParameter(h.services, 'MaxTasks', { type: 'Number' });
    h.service('Api', { desiredCount: 2, maxCapacity: max.valueAsNumber }, { pool: PoolSize.fixed(10), maxTasks: 19 }); // 38 × 10 = 380
    h.service('Web', { desiredCount: 2, maxCapacity: 3 }, { pool: PoolSize.fixed(1) }); // 6
    const env = environmentOf(Template.fromStack(h.services).toJSON(), 'ApiTask');
    expect(env.DB_POOL_MAX).toBe('10');
    expect(Annotations.fromStack(h.data).findWarning('/Data/Budget', Match.stringLikeRegexp('worst-case demand 386 is 97.7 %'))).toHaveLength(1);
  });

  test('a token without a bound fails and names where the token is and the option that fixes it', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const max = new CfnParameter(h.services, 'MaxTasks', { type: 'Number' });
    h.service('Api', { desiredCount: 2, maxCapacity: max.valueAsNumber }, { pool: PoolSize.fixed(10) });
    expect(synthErrors(h.app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': the MaxCapacity of 'Services/Api/TaskCount/Target' is unknown until deploy (a token), so the worst case cannot be computed. "
      + "Pass maxTasks to addEcsService() for 'Services/Api': the most tasks it can ever run. [CB-UNRESOLVED-VALUE]",
    ]);
  });

  test('a CodeDeploy blue/green service counts two full fleets', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'BgTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const svc = new ecs.FargateService(h.services, 'Bg', {
      cluster: h.cluster, taskDefinition, desiredCount: 25, deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
    });
    h.budget.addEcsService(svc, { pool: PoolSize.fixed(10) });
    expect(synthErrors(h.app).join()).toMatch(/'Services\/Bg' 500 = 25 tasks \(desired count\) × 2 for a CodeDeploy blue\/green deployment = 50 tasks/);
  });

  test('a DAEMON service needs an explicit task bound', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.cluster.addCapacity('Capacity', { instanceType: new ec2.InstanceType('t3.micro'), maxCapacity: 3 });
    const taskDefinition = new ecs.Ec2TaskDefinition(h.services, 'AgentTask', { networkMode: ecs.NetworkMode.AWS_VPC });
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), memoryLimitMiB: 128 });
    const svc = new ecs.Ec2Service(h.services, 'Agent', { cluster: h.cluster, taskDefinition, daemon: true });
    h.budget.addEcsService(svc, { pool: PoolSize.fixed(2) });
    expect(synthErrors(h.app).join()).toMatch(
      /the task count of 'Services\/Agent' is unknown until deploy \(a DAEMON service runs one task per container instance\), so the worst case cannot be computed\. Pass maxTasks to addEcsService\(\) for 'Services\/Agent': the most container instances its cluster can run\./);
  });

  test('without max_connections in the template, the class estimate is used and warned about', () => {
    const h = harness({ proxyPercent: 50 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    Template.fromStack(h.data);
    expect(Annotations.fromStack(h.data).findWarning('/Data/Budget', Match.stringLikeRegexp(
      /^ConnectionBudget 'Data\/Budget': max_connections 1553 \(estimated for db\.r6g\.large\) is a conservative estimate from nominal memory.*\[ack: CB-ESTIMATED-MAX-CONNECTIONS\]$/.source,
    ))).toHaveLength(1);
  });

  test('a lower max_connections in the parameter group wins over the budget property', () => {
    const h = harness({ maxConnectionsParameter: '200', proxyPercent: 100, budget: { maxConnections: 1000 } });
    h.service('Api', { desiredCount: 10 }, { pool: PoolSize.fixed(10) }); // 200 > 200 − 5 − 5 = 190
    expect(synthErrors(h.app).join()).toMatch(/max_connections 200 \(parameter group 'Data\/Params'\)/);
  });

  test('an explicit maxConnections replaces an estimate', () => {
    const h = harness({ proxyPercent: 50, budget: { maxConnections: 300 } });
    h.service('Api', { desiredCount: 8 }, { pool: PoolSize.fixed(10) }); // 160 > 150 − 5
    expect(synthErrors(h.app).join()).toMatch(/max_connections 300 \(set on the budget\) × 50 % = 150/);
  });
});

describe('without a proxy', () => {
  const h = harness({ engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0_40 }), maxConnectionsParameter: '120', proxyPercent: null });
  h.service('Api', { desiredCount: 3 }, { pool: PoolSize.share() });
  const services = Template.fromStack(h.services).toJSON();

  test('services get ingress to the database on its port, and pools share the usable connections', () => {
    const ingress = Object.values<any>(services.Resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress');
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      FromPort: { 'Fn::ImportValue': expect.stringMatching(/^Data:ExportsOutputFnGetAttDb\w+EndpointPort/) },
      GroupId: { 'Fn::ImportValue': expect.stringMatching(/DbSecurityGroup/) },
    });
    // MySQL reserves nothing: 120 usable, 6 tasks at the worst case, max 20 per pool.
    expect(environmentOf(services, 'ApiTask')).toMatchObject({ DB_POOL_MAX: '20', DB_POOL_IDLE_TIMEOUT_MS: '600000' });
  });
});

describe('proxy timeouts shape the pool settings', () => {
  test('the idle timeout stays under the proxy\'s IdleClientTimeout', () => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const database = new rds.DatabaseInstance(stack, 'Db', { engine: POSTGRES, vpc, storageEncrypted: true, instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) });
    const proxy = database.addProxy('Proxy', { vpc, secrets: [database.secret!], idleClientTimeout: Duration.minutes(5), maxConnectionsPercent: 50 });
    const budget = new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(database), proxy, maxConnections: 1000 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'ApiTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    budget.addEcsService(new ecs.FargateService(stack, 'Api', { cluster, taskDefinition }), { pool: PoolSize.fixed(5) });
    expect(environmentOf(Template.fromStack(stack).toJSON(), 'ApiTask')).toMatchObject({ DB_POOL_IDLE_TIMEOUT_MS: '150000' });
  });
});

describe('Aurora clusters', () => {
  const aurora = (writer: rds.IClusterInstance, readers: rds.IClusterInstance[], scaling?: { min: number; max: number }, parameters?: Record<string, string>) => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      vpc, writer, readers, serverlessV2MinCapacity: scaling?.min, serverlessV2MaxCapacity: scaling?.max, parameters, storageEncrypted: true,
    });
    const proxy = cluster.addProxy('Proxy', { vpc, secrets: [cluster.secret!], maxConnectionsPercent: 100 });
    const budget = new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromCluster(cluster), proxy });
    const ecsCluster = new ecs.Cluster(stack, 'Ecs', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'ApiTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    budget.addEcsService(new ecs.FargateService(stack, 'Api', { cluster: ecsCluster, taskDefinition, desiredCount: 200 }), { pool: PoolSize.fixed(10) });
    return synthErrors(app).join();
  };

  test('the smallest instance sets the limit: a failover can promote it', () => {
    // r6g.xlarge 3479, r6g.large 1722 (official table) → 1722 − 3 − 5 = 1714 usable; 400 tasks × 10 = 4000.
    expect(aurora(
      rds.ClusterInstance.provisioned('writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE) }),
      [rds.ClusterInstance.provisioned('reader', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) })],
    )).toMatch(/exceeds the usable connections 1714 by 2286: max_connections 1722 \(Aurora PostgreSQL default for db\.r6g\.large\) − 3 engine reserve = 1719/);
  });

  test('an instance-level max_connections overrides the cluster parameter group', () => {
    // writer: 250 from its own parameter group; reader: 300 from the cluster's.
    expect(aurora(
      rds.ClusterInstance.provisioned('writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE), parameters: { max_connections: '250' } }),
      [rds.ClusterInstance.provisioned('reader', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) })],
      undefined, { max_connections: '300' },
    )).toMatch(/max_connections 250 \(parameter group 'Data\/Cluster\/InstanceParameterGroup'\) − 3 engine reserve = 247/);
  });

  test('Serverless v2 uses the maximum capacity and the low-minimum cap, and the fix lifts the cap', () => {
    expect(aurora(rds.ClusterInstance.serverlessV2('writer'), [], { min: 0.5, max: 16 })).toContain(
      'max_connections 2000 (Aurora PostgreSQL default for Serverless v2 0.5-16 ACU: the published row for a maximum of 16 ACU, '
      + 'capped at 2000 for a minimum of 0.5 ACU)');
    expect(aurora(rds.ClusterInstance.serverlessV2('writer'), [], { min: 0.5, max: 16 })).toContain(
      'raise its minimum capacity from 0.5 ACU to 1 ACU (at 0.5 ACU or less Aurora PostgreSQL caps max_connections at 2000) and its maximum capacity '
      + "from 16 ACU to 32 ACU for 'Data/Cluster/writer' (max_connections 2000 → 5000, the published row for 32 ACU). [CB-OVER-CAPACITY]");
  });

  test('Serverless v2 between published rows says which row it used, and the fix names the maximum capacity', () => {
    // 2 ACU lies between the 1 and 4 ACU rows: 189 (the 1-ACU row) − 3 − 5 = 181 usable; 400 tasks × 10 = 4000.
    const message = aurora(rds.ClusterInstance.serverlessV2('writer'), [], { min: 1, max: 2 });
    expect(message).toContain('max_connections 189 (Aurora PostgreSQL default for Serverless v2 1-2 ACU: the published row for a maximum of 1 ACU, '
      + 'the nearest below 2 ACU (AWS publishes rows for 1, 4, 8, 16, 32, 64, 128 ACU only; between rows the lower is the safe side))');
    expect(message).toContain("or raise its maximum capacity from 2 ACU to 32 ACU for 'Data/Cluster/writer' (max_connections 189 → 5000, the published row for 32 ACU).");
  });
});

describe('patterns and warnings', () => {
  test('ecs-patterns services register through their service, and CB-NEAR-CAPACITY warns with an acknowledgeable ID', () => {
    const h = harness({ maxConnectionsParameter: '110', proxyPercent: 95 });
    const web = new patterns.ApplicationLoadBalancedFargateService(h.services, 'Web', {
      cluster: h.cluster, desiredCount: 4, minHealthyPercent: 100, taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/web:1') },
    });
    const worker = new patterns.QueueProcessingFargateService(h.services, 'Worker', {
      cluster: h.cluster, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/worker:1'), maxScalingCapacity: 3, minHealthyPercent: 100,
    });
    h.budget.addEcsService(web.service, { pool: PoolSize.fixed(10) }); // 8 × 10 = 80
    h.budget.addEcsService(worker.service, { pool: PoolSize.fixed(2) }); // 6 × 2 = 12
    const services = Template.fromStack(h.services).toJSON();
    expect(environmentOf(services, 'WorkerQueueProcessingTaskDef')).toMatchObject({ DB_POOL_MAX: '2' });
    expect(environmentOf(services, 'WebTaskDef')).toMatchObject({ DB_POOL_MAX: '10' });
    // Ceiling: floor(110 × 95 %) − 5 = 99.
    expect(Annotations.fromStack(h.data).findWarning('/Data/Budget', Match.anyValue()).map((w) => w.entry.data)).toEqual([
      "ConnectionBudget 'Data/Budget': worst-case demand 92 is 92.9 % of the proxy ceiling 99 "
      + "(max_connections 110 (parameter group 'Data/Params') × 95 % = 104, less 5 kept by RDS Proxy), at or above the 90 % warning threshold; headroom 7. "
      + 'Lower pools or maximum tasks, raise max_connections, or acknowledge CB-NEAR-CAPACITY on the budget if the margin is intended. [ack: CB-NEAR-CAPACITY]',
    ]);
  });

  test('an acknowledged warning is not reported', () => {
    const h = harness({ maxConnectionsParameter: '110', proxyPercent: 95 });
    h.service('Api', { desiredCount: 5 }, { pool: PoolSize.fixed(9) }); // 90 of 99
    CoreAnnotations.of(h.budget).acknowledgeWarning('CB-NEAR-CAPACITY', 'Sized for the launch; revisit after.');
    Template.fromStack(h.data);
    expect(Annotations.fromStack(h.data).findWarning('/Data/Budget', Match.anyValue())).toEqual([]);
  });
});

describe('eager errors name the budget, the value and the fix', () => {
  test('fails on invalid properties, all at once', () => {
    const stack = new Stack(new App(), 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const database = new rds.DatabaseInstance(stack, 'Db', { engine: POSTGRES, vpc });
    expect(() => new ConnectionBudget(stack, 'Budget', {
      database: DatabaseTarget.fromInstance(database),
      maxConnections: 0,
      warningThresholdPercent: 120,
      reservations: [{ name: 'admin', connections: 2 }, { name: 'admin', connections: -1 }, { name: ' ', connections: 1 }],
    })).toThrow("ConnectionBudget 'Data/Budget': invalid properties:\n"
      + '- maxConnections must be a whole number from 1 to 262143, got 0\n'
      + '- warningThresholdPercent must be above 0 and at most 100, got 120\n'
      + "- reservation 'admin' is declared twice\n"
      + "- reservation 'admin' must keep a whole number of connections from 0 to 262143, got -1\n"
      + "- every reservation needs a name: what the connections are for, such as 'migrations'");
  });

  test('fails on an engine the budget does not know, and on an imported database without engine', () => {
    const stack = new Stack(new App(), 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const oracle = new rds.DatabaseInstance(stack, 'Oracle', {
      engine: rds.DatabaseInstanceEngine.oracleSe2({ version: rds.OracleEngineVersion.VER_19_0_0_0_2020_04_R1 }), vpc, licenseModel: rds.LicenseModel.LICENSE_INCLUDED,
    });
    expect(() => new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(oracle) }))
      .toThrow(/^ConnectionBudget 'Data\/Budget': invalid properties:\n- engine 'oracle-se2' of 'Data\/Oracle' is not supported; supported: postgres, mysql, mariadb, aurora-postgresql, aurora-mysql, aurora$/);
    const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Imported', {
      instanceIdentifier: 'db', instanceEndpointAddress: 'db.example.com', port: 5432, securityGroups: [],
    });
    expect(() => new ConnectionBudget(stack, 'Budget2', { database: DatabaseTarget.fromInstance(imported), maxConnections: 100 }))
      .toThrow("ConnectionBudget 'Data/Budget2': invalid properties:\n- the engine of 'Data/Imported' is unknown; pass engine when importing the database "
        + '(DatabaseInstance.fromDatabaseInstanceAttributes, DatabaseCluster.fromDatabaseClusterAttributes)');
  });

  test('an imported database needs maxConnections', () => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Imported', {
      instanceIdentifier: 'db', instanceEndpointAddress: 'db.example.com', port: 5432, securityGroups: [], engine: POSTGRES,
    });
    new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(imported) });
    expect(synthErrors(app)).toEqual([
      "[Data/Budget] ConnectionBudget 'Data/Budget': max_connections cannot be determined: no database instance of it is defined in this app. "
      + "Set max_connections explicitly in the database's parameter group, or pass maxConnections to the budget. [CB-UNKNOWN-MAX-CONNECTIONS]",
    ]);
  });

  test('a proxy of another database fails synth', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const other = new rds.DatabaseInstance(h.data, 'Other', { engine: POSTGRES, vpc: h.vpc, storageEncrypted: true });
    const otherProxy = other.addProxy('Proxy', { vpc: h.vpc, secrets: [other.secret!] });
    const budget = new ConnectionBudget(h.data, 'Mismatched', { database: DatabaseTarget.fromInstance(h.database), proxy: otherProxy });
    budget.addEcsService(h.service('Api', { desiredCount: 1, register: false }), { pool: PoolSize.fixed(1) });
    h.service('Web', { desiredCount: 1 }, { pool: PoolSize.fixed(1) });
    // The database's own proxy, which this budget does not count, is a hole too: the templates show it once synth gets that far.
    expect(synthErrors(h.app)).toEqual([
      expect.stringMatching(/^\[Data\/Mismatched\] ConnectionBudget 'Data\/Mismatched': the proxy 'Data\/Other\/Proxy' does not target the budget's database.*\[CB-PROXY-TARGET-MISMATCH\]$/),
    ]);
  });

  test('fails on invalid consumer options, twice-registered services and missing containers', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const svc = h.service('Api', { desiredCount: 1 });
    expect(() => h.budget.addEcsService(svc)).toThrow("ConnectionBudget 'Data/Budget': addEcsService('Services/Api'): the consumer is already registered with this budget; register a container's second pool set with its own poolName and poolSettings, or another container with containerName.");
    const other = h.service('Other', { desiredCount: 1, register: false });
    expect(() => h.budget.addEcsService(other, {
      processesPerTask: 0, poolsPerProcess: 1.5, overflowPerPool: -1, maxTasks: -2, minIdleConnections: -1,
      acquireTimeout: Duration.millis(0),
    })).toThrow("ConnectionBudget 'Data/Budget': addEcsService('Services/Other'): invalid options:\n"
      + '- processesPerTask must be a whole number from 1 to 1000000, got 0\n'
      + '- maxTasks must be a whole number from 1 to 5000, got -2\n'
      + '- poolsPerProcess must be a whole number from 1 to 1000000, got 1.5\n'
      + '- overflowPerPool must be a whole number from 0 to 262143, got -1\n'
      + '- minIdleConnections must be a whole number from 0 to 262143, got -1\n'
      + '- acquireTimeout must be longer than 0, got 0 millis');
    const seconds = new CfnParameter(h.services, 'Seconds', { type: 'Number' }).valueAsNumber;
    expect(() => h.budget.addEcsService(other, { acquireTimeout: Duration.seconds(seconds) })).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Other'): invalid options:\n- acquireTimeout must be a literal duration, got a token");
    expect(() => h.budget.addEcsService(other, { containerName: 'sidecar' }))
      .toThrow("ConnectionBudget 'Data/Budget': addEcsService('Services/Other'): the task definition 'Services/OtherTask' has no container named 'sidecar'; its containers are 'app'.");
    const empty = new ecs.FargateService(h.services, 'Empty', { cluster: h.cluster, taskDefinition: new ecs.FargateTaskDefinition(h.services, 'EmptyTask') });
    expect(() => h.budget.addEcsService(empty)).toThrow(
      "ConnectionBudget 'Data/Budget': addEcsService('Services/Empty'): the task definition 'Services/EmptyTask' has no container yet; add its containers before registering, or pass containerName.");
  });

  test('fails when a second budget would overwrite the first one\'s variables, and accepts another prefix', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    const svc = h.service('Api', { desiredCount: 1 });
    const reporting = new ConnectionBudget(h.data, 'ReportingBudget', { database: DatabaseTarget.fromInstance(h.database), proxy: h.proxy });
    expect(() => reporting.addEcsService(svc)).toThrow(
      "ConnectionBudget 'Data/ReportingBudget': addEcsService('Services/Api'): container 'app' of 'Services/ApiTask' already receives DB_POOL_MAX "
      + "from budget 'Data/Budget'; pass a poolSettings preset with another prefix or variable.");
    expect(() => reporting.addEcsService(svc, { poolSettings: PoolSettingsPreset.generic('REPORTING_DB_POOL') })).not.toThrow();
  });

  test('PoolSize factories reject sizes that cannot be pools', () => {
    expect(() => PoolSize.fixed(0)).toThrow('PoolSize.fixed(): size must be a whole number from 1 to 262143, got 0.');
    expect(() => PoolSize.fixed(1e300)).toThrow('PoolSize.fixed(): size must be a whole number from 1 to 262143, got 1e+300.');
    // A token is not a size the budget can plan with, and it says so instead of printing the token's number.
    expect(() => PoolSize.fixed(Token.asNumber({ resolve: () => 5 }))).toThrow('PoolSize.fixed(): size must be a whole number from 1 to 262143, got a token.');
    expect(() => PoolSize.share({ weight: 0, min: 0 })).toThrow(
      'PoolSize.share(): weight must be a number above 0 and at most 1000000, got 0; min must be a whole number from 1 to 262143, got 0.');
    expect(() => PoolSize.share({ min: 5, max: 4 })).toThrow('PoolSize.share(): max must be a whole number from min (5) to 262143, got 4.');
  });
});
