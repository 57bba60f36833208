import { App, Stack, aws_ec2 as ec2, aws_rds as rds } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { harness, POSTGRES, synthErrors } from './harness';

describe('the pending-reboot guard of a budget whose database is in the app', () => {
  const h = harness({ maxConnectionsParameter: '400', proxyPercent: 50 });
  h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
  const errors = synthErrors(h.app);
  const data = Template.fromStack(h.data);
  const services = Template.fromStack(h.services);
  const [, guard] = Object.entries<any>(data.findResources('Custom::ConnectionBudgetRebootGuard'))[0];

  test('carries the worst case and max_connections the budget plans with, and the database\'s identifiers', () => {
    expect(errors).toEqual([]);
    expect(guard.Properties).toMatchObject({
      BudgetPath: 'Data/Budget', WorstCase: '40', MaxConnections: '400', DbInstanceIdentifiers: [{ Ref: h.data.getLogicalId(h.database.node.defaultChild as rds.CfnDBInstance) }],
    });
    expect(guard.Properties.DbClusterIdentifier).toBeUndefined();
  });

  test('runs after the database (and its parameter group) changed, and before any consumer', () => {
    expect(guard.DependsOn).toEqual(expect.arrayContaining([h.data.getLogicalId(h.database.node.defaultChild as rds.CfnDBInstance)]));
    // The service is in another stack: a stack dependency orders it after the guard's stack.
    expect(h.services.dependencies.map((s) => s.stackName)).toContain('Data');
    expect(Object.keys(services.findResources('AWS::ECS::Service'))).toHaveLength(1);
  });

  test('its function may only describe this database instance and its own stack', () => {
    const policies = Object.values<any>(data.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('BudgetRebootGuardHandlerServiceRole'));
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([[{
      // Whether CloudFormation is rolling this stack back: the guard lets a rollback through.
      Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' },
    }, {
      Action: 'rds:DescribeDBInstances',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':db:',
          { Ref: h.data.getLogicalId(h.database.node.defaultChild as rds.CfnDBInstance) }]],
      },
    }]]);
  });
});

describe('the pending-reboot guard of a budget that grants an allocation', () => {
  test('counts the allocation in the worst case, and the record waits for it', () => {
    const h = harness({ maxConnectionsParameter: '400', proxyPercent: 50, budget: { reservations: [{ name: 'admin', connections: 3 }] } });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.budget.addAllocation({ name: 'orders', connections: 100 });
    const data = Template.fromStack(h.data);
    const [guardId, guard] = Object.entries<any>(data.findResources('Custom::ConnectionBudgetRebootGuard'))[0];
    // Api 40 + admin 3 + orders 100.
    expect(guard.Properties.WorstCase).toBe('143');
    const [, record] = Object.entries<any>(data.findResources('AWS::SSM::Parameter'))[0];
    expect(record.DependsOn).toEqual(expect.arrayContaining([guardId]));
  });
});

describe('the pending-reboot guard of a cluster', () => {
  test('describes the cluster and its instances, on their ARNs only', () => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }), vpc,
      writer: rds.ClusterInstance.provisioned('writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) }),
    });
    const proxy = cluster.addProxy('Proxy', { vpc, secrets: [cluster.secret!] });
    new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromCluster(cluster), proxy });
    const template = Template.fromStack(stack);
    const guard = Object.values<any>(template.findResources('Custom::ConnectionBudgetRebootGuard'))[0];
    expect(guard.Properties.DbClusterIdentifier).toEqual({ Ref: expect.stringMatching(/^Cluster/) });
    expect(guard.Properties.DbInstanceIdentifiers).toEqual([{ Ref: expect.stringMatching(/^Clusterwriter/) }]);
    const statements = Object.values<any>(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('BudgetRebootGuardHandlerServiceRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.map((s: any) => [s.Action, JSON.stringify(s.Resource).match(/:(db|cluster):|AWS::StackId/)![0]])).toEqual([
      ['cloudformation:DescribeStacks', 'AWS::StackId'], ['rds:DescribeDBInstances', ':db:'], ['rds:DescribeDBClusters', ':cluster:'],
    ]);
  });
});

describe('no pending-reboot guard', () => {
  test('when turned off, or for a database the app imports', () => {
    const off = harness({ maxConnectionsParameter: '400', proxyPercent: 50, budget: { pendingRebootCheck: false } });
    expect(Template.fromStack(off.data).findResources('Custom::ConnectionBudgetRebootGuard')).toEqual({});
    const app = new App();
    const stack = new Stack(app, 'Data');
    const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceIdentifier: 'db', instanceEndpointAddress: 'db.example', port: 5432, securityGroups: [], engine: POSTGRES,
    });
    new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(imported), maxConnections: 100 });
    expect(Template.fromStack(stack).findResources('Custom::ConnectionBudgetRebootGuard')).toEqual({});
  });
});
