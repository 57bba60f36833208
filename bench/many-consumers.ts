import { App, Duration, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds } from 'aws-cdk-lib';
import * as lib from '../lib';
import { ConnectionBudget } from '../lib';

const SERVICES_PER_STACK = 25;
const LAMBDA_FUNCTIONS = 20;
/** max_connections for the 220 consumers of the default app; a larger app scales it with its consumers, so its pools stay the same. */
const MAX_CONNECTIONS = 5000;
/** The variables the budget delivers to each consumer; the plain variant writes the same ones by hand. */
const POOL_VARIABLES = ['DB_POOL_MAX', 'DB_POOL_MIN', 'DB_POOL_MAX_OVERFLOW', 'DB_POOL_ACQUIRE_TIMEOUT_MS', 'DB_POOL_IDLE_TIMEOUT_MS', 'DB_POOL_MAX_LIFETIME_MS'];

/** Consumers of the default app: 200 services and 20 functions. */
export const MANY_CONSUMERS = 220;

/** The stacks of an app of `consumers` consumers: data, a stack per 25 services, functions. */
export function manyConsumersStacks(consumers: number = MANY_CONSUMERS): number {
  return Math.ceil((consumers - LAMBDA_FUNCTIONS) / SERVICES_PER_STACK) + 2;
}

/** How {@link buildManyConsumers} builds the app. */
export interface ManyConsumersOptions {
  /** With the budget, or identically without it: the same database, parameter group and proxy, the pool variables hard-coded, the same ingress granted by hand. */
  readonly withBudget: boolean;
  /** Raises the first service's autoscaling maximum, for a diff between two synths. */
  readonly extraTasks?: number;
  /** The budget's deployInWaves (with the budget only). */
  readonly deployInWaves?: boolean;
  /** How many consumers: 20 functions and the rest services, 25 to a stack. @default MANY_CONSUMERS */
  readonly consumers?: number;
  /**
   * The library the app is built with: its sources, as in a checkout, or its compiled build (dist/lib), as an app that
   * installs the package has it, whose guards' handlers come bundled instead of being bundled at each synth.
   * @default - the sources
   */
  readonly library?: Pick<typeof lib, 'BudgetedDatabase' | 'PoolSize'>;
}

/**
 * A large app for measuring the library (docs/develop.md and docs/benchmarks.md): one database with 200 ECS
 * services in 8 stacks and 20 Lambda functions by default, every stack below CloudFormation's 500 resources. Without the budget,
 * the same pool variables, route variables and ingress are written by hand.
 */
export function buildManyConsumers(app: App, options: ManyConsumersOptions): { budget?: ConnectionBudget } {
  const withBudget = options.withBudget;
  const { BudgetedDatabase, PoolSize } = options.library ?? lib;
  const consumers = options.consumers ?? MANY_CONSUMERS;
  const services = consumers - LAMBDA_FUNCTIONS;
  const maxConnections = Math.ceil((MAX_CONNECTIONS * consumers) / MANY_CONSUMERS);
  const data = new Stack(app, 'ManyData');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
  const instanceType = ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE4);
  let grant: (consumer: ec2.IConnectable) => void;
  let registerService: (service: ecs.FargateService, container: ecs.ContainerDefinition, i: number) => void;
  let registerFunction: (fn: lambda.Function) => void;
  let budget: ConnectionBudget | undefined;
  if (withBudget) {
    // One proxy holds at most 200 secrets (RDS_PROXY_MAX_SECRETS), too few for a user per consumer of 220: the budget is
    // measured without containment, as before it existed.
    const database = new BudgetedDatabase(data, 'Database', {
      vpc, instanceEngine: engine, instanceType, maxConnections, consumerUsers: false, deployInWaves: options.deployInWaves,
    });
    budget = database.budget;
    grant = () => undefined;
    registerService = (service, _container, i) => database.budget.addEcsService(service, { pool: i % 2 === 0 ? PoolSize.fixed(2) : PoolSize.share({ max: 4 }) });
    registerFunction = (fn) => database.budget.addLambdaFunction(fn);
  } else {
    const parameterGroup = new rds.ParameterGroup(data, 'Parameters', { engine, parameters: { max_connections: String(maxConnections) } });
    const instance = new rds.DatabaseInstance(data, 'Instance', { engine, instanceType, vpc, parameterGroup, storageEncrypted: true });
    const proxy = instance.addProxy('Proxy', { vpc, secrets: [instance.secret!], maxConnectionsPercent: 99 });
    // As the budget grants it: a rule in the consumer's stack (a rule in the data stack would make a cycle).
    grant = (consumer) => proxy.connections.securityGroups.forEach((group) => consumer.connections.securityGroups
      .forEach((peer) => group.addIngressRule(peer, ec2.Port.tcp(5432), 'Connections to the proxy', true)));
    // Where to connect, as the budget delivers it: every app needs it, budget or not.
    const route: Record<string, string> = { DB_HOST: proxy.endpoint, DB_PORT: '5432', DB_NAME: 'postgres' };
    registerService = (service, container) => {
      POOL_VARIABLES.forEach((name) => container.addEnvironment(name, '2'));
      Object.entries(route).forEach(([name, value]) => container.addEnvironment(name, value));
      grant(service);
    };
    registerFunction = (fn) => {
      POOL_VARIABLES.forEach((name) => fn.addEnvironment(name, '1'));
      Object.entries(route).forEach(([name, value]) => fn.addEnvironment(name, value));
      grant(fn);
    };
  }
  const cluster = new ecs.Cluster(data, 'Cluster', { vpc });
  for (let s = 0; s * SERVICES_PER_STACK < services; s++) {
    const stack = new Stack(app, `ManyServices${s}`);
    for (let i = 0; i < Math.min(SERVICES_PER_STACK, services - s * SERVICES_PER_STACK); i++) {
      const taskDefinition = new ecs.FargateTaskDefinition(stack, `Task${i}`);
      const container = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
      const service = new ecs.FargateService(stack, `Service${i}`, { cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 });
      service.autoScaleTaskCount({ maxCapacity: 2 + (i % 3) + (s === 0 && i === 0 ? options.extraTasks ?? 0 : 0) });
      registerService(service, container, i);
    }
  }
  const functions = new Stack(app, 'ManyFunctions');
  for (let i = 0; i < LAMBDA_FUNCTIONS; i++) {
    registerFunction(new lambda.Function(functions, `Function${i}`, {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      vpc, timeout: Duration.seconds(10), reservedConcurrentExecutions: 5,
    }));
  }
  return { budget };
}

