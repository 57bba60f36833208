import { App, CfnParameter, Duration, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds } from 'aws-cdk-lib';
import { BudgetedDatabase, ConnectionBudgetChecks, PoolSize } from '../../lib';
import { BUDGET_NAG_RULES } from '../../lib/nag/rules';

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });

/** Violations of the ConnectionBudget pack in a scope, as `ruleName constructPath`. */
function violations(scope: Stack): string[] {
  const report = new ConnectionBudgetChecks().validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId}`)).sort();
}

test('the pack has exactly these rules, in this order', () => {
  expect(BUDGET_NAG_RULES.map((r) => `ConnectionBudget-${r.suffix} ${r.level}`)).toEqual([
    'ConnectionBudget-ProxyMaxConnectionsPercent Error',
    'ConnectionBudget-ProxyRequireTls Error',
    'ConnectionBudget-ExplicitMaxConnections Error',
    'ConnectionBudget-PostgresIdleInTransactionTimeout Warning',
    'ConnectionBudget-LambdaReservedConcurrency Error',
    'ConnectionBudget-EcsCircuitBreaker Warning',
    'ConnectionBudget-EcsMaximumPercent Warning',
  ]);
  expect(new ConnectionBudgetChecks().name).toBe('ConnectionBudget');
});

describe('non-compliant resources', () => {
  // GIVEN a database on the default parameter group, a proxy at the default 100 % without TLS that a
  // direct client shares the database with, a function reaching the proxy without reserved concurrency,
  // and an L1 ECS service with no deployment configuration.
  const stack = new Stack(new App(), 'Bad');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const database = new rds.DatabaseInstance(stack, 'Db', { engine: POSTGRES, vpc, storageEncrypted: true });
  const proxy = database.addProxy('Proxy', { vpc, secrets: [database.secret!], requireTLS: false });
  const admin = new ec2.SecurityGroup(stack, 'Admin', { vpc });
  database.connections.allowDefaultPortFrom(admin);
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>{}'), vpc });
  proxy.connections.allowFrom(fn, ec2.Port.tcp(5432));
  new ecs.CfnService(stack, 'RawService', { taskDefinition: 'arn:aws:ecs:eu-west-1:111111111111:task-definition/app:1' });

  test('each rule names the resource it finds', () => {
    expect(violations(stack)).toEqual([
      'ConnectionBudget-EcsCircuitBreaker Bad/RawService',
      'ConnectionBudget-EcsMaximumPercent Bad/RawService',
      'ConnectionBudget-ExplicitMaxConnections Bad/Db/Resource',
      'ConnectionBudget-LambdaReservedConcurrency Bad/Fn/Resource',
      'ConnectionBudget-PostgresIdleInTransactionTimeout Bad/Db/Resource',
      'ConnectionBudget-ProxyMaxConnectionsPercent Bad/Db/Proxy/ProxyTargetGroup',
      'ConnectionBudget-ProxyRequireTls Bad/Db/Proxy/Resource',
    ]);
  });

  test('a proxy built with TLS whose RequireTLS an override turns off, or makes a token, is found', () => {
    const other = new Stack(new App(), 'Overridden');
    const otherVpc = new ec2.Vpc(other, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const otherDb = new rds.DatabaseInstance(other, 'Db', { engine: POSTGRES, vpc: otherVpc, storageEncrypted: true });
    const off = otherDb.addProxy('Off', { vpc: otherVpc, secrets: [otherDb.secret!] });
    const token = otherDb.addProxy('Token', { vpc: otherVpc, secrets: [otherDb.secret!] });
    (off.node.defaultChild as rds.CfnDBProxy).addPropertyOverride('RequireTLS', false);
    (token.node.defaultChild as rds.CfnDBProxy).addPropertyOverride('RequireTLS', new CfnParameter(other, 'Tls', { type: 'String' }).valueAsString);
    expect(violations(other).filter((v) => v.startsWith('ConnectionBudget-ProxyRequireTls'))).toEqual([
      'ConnectionBudget-ProxyRequireTls Overridden/Db/Off/Resource',
      'ConnectionBudget-ProxyRequireTls Overridden/Db/Token/Resource',
    ]);
  });

  test('a violation carries the rule\'s explanation', () => {
    const report = new ConnectionBudgetChecks().validateScope(stack);
    const tls = report.violations.find((v) => v.ruleName === 'ConnectionBudget-ProxyRequireTls')!;
    expect(tls.description).toContain('The RDS Proxy does not require TLS.');
  });
});

describe('compliant resources', () => {
  // GIVEN BudgetedDatabase (explicit max_connections, idle-in-transaction timeout, TLS, derived percent), a function
  // with reserved concurrency registered with its budget, and a service with a circuit breaker and a maximum percent.
  const stack = new Stack(new App(), 'Good');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const db = new BudgetedDatabase(stack, 'Db', { vpc, instanceEngine: POSTGRES, maxConnections: 400, reservations: [{ name: 'admin', connections: 5 }] });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>{}'), vpc, reservedConcurrentExecutions: 5,
  });
  db.budget.addLambdaFunction(fn);
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
  const service = new ecs.FargateService(stack, 'Service', {
    cluster, taskDefinition, desiredCount: 2, minHealthyPercent: 100, maxHealthyPercent: 150, circuitBreaker: { rollback: true },
  });
  db.budget.addEcsService(service, { pool: PoolSize.fixed(5) });

  test('no rule finds anything', () => {
    expect(violations(stack)).toEqual([]);
  });

  test('a proxy at 100 % with no other client of its database is fine; an Aurora cluster\'s parameter group counts', () => {
    const other = new Stack(new App(), 'Other');
    const otherVpc = new ec2.Vpc(other, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const clusterParameters = new rds.ParameterGroup(other, 'ClusterParams', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      parameters: { max_connections: '1000', idle_in_transaction_session_timeout: '60000' },
    });
    const aurora = new rds.DatabaseCluster(other, 'Aurora', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      vpc: otherVpc, storageEncrypted: true, parameterGroup: clusterParameters,
      writer: rds.ClusterInstance.provisioned('Writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) }),
    });
    aurora.addProxy('Proxy', { vpc: otherVpc, secrets: [aurora.secret!], borrowTimeout: Duration.seconds(30) });
    expect(violations(other)).toEqual([]);
  });
});
