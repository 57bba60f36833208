#!/usr/bin/env node
// A large app for measuring the CLI (README, "Develop"): one budget with
// SERVICE_STACKS × SERVICES_PER_STACK ECS services and LAMBDA_FUNCTIONS functions, spread over stacks
// that stay below CloudFormation's 500 resources each. Run it with
//   npx cdk synth --app 'npx ts-node --transpile-only test/apps/many-consumers.ts' --output /tmp/many -q [-c extraTasks=3]
import { App, Duration, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds } from 'aws-cdk-lib';
import { BudgetedDatabase, PoolSize } from '../../lib';

const SERVICE_STACKS = 8;
const SERVICES_PER_STACK = 25;
const LAMBDA_FUNCTIONS = 20;
const MAX_CONNECTIONS = 5000;

const app = new App();
/** Context `extraTasks`: raises the first service's autoscaling maximum, for a diff between two synths. */
const extraTasks = Number(app.node.tryGetContext('extraTasks') ?? 0);
const data = new Stack(app, 'ManyData');
const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
const database = new BudgetedDatabase(data, 'Database', {
  vpc,
  instanceEngine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
  instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE4),
  maxConnections: MAX_CONNECTIONS,
  reservations: [{ name: 'migrations', connections: 10 }],
});
const cluster = new ecs.Cluster(data, 'Cluster', { vpc });

for (let s = 0; s < SERVICE_STACKS; s++) {
  const stack = new Stack(app, `ManyServices${s}`);
  for (let i = 0; i < SERVICES_PER_STACK; i++) {
    const taskDefinition = new ecs.FargateTaskDefinition(stack, `Task${i}`);
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const service = new ecs.FargateService(stack, `Service${i}`, { cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 });
    service.autoScaleTaskCount({ maxCapacity: 2 + (i % 3) + (s === 0 && i === 0 ? extraTasks : 0) });
    database.budget.addEcsService(service, { pool: i % 2 === 0 ? PoolSize.fixed(2) : PoolSize.share({ max: 4 }) });
  }
}

const functions = new Stack(app, 'ManyFunctions');
for (let i = 0; i < LAMBDA_FUNCTIONS; i++) {
  const fn = new lambda.Function(functions, `Function${i}`, {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    vpc,
    timeout: Duration.seconds(10),
    reservedConcurrentExecutions: 5,
  });
  database.budget.addLambdaFunction(fn);
}
