import * as path from 'path';
import {
  Annotations, Duration, Stack, StackProps,
  aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_events as events, aws_lambda as lambda,
  aws_lambda_nodejs as nodejs, aws_rds as rds, aws_sqs as sqs, Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BudgetedDatabase, ConnectionBudget, ConnectionBudgetMonitoring, PoolSettingsPreset, PoolSize } from '../../lib';
import { ORDERS_ALLOCATION } from './team';

/** Knobs the documentation and the end-to-end tests turn. */
export interface PlatformOptions {
  /** Autoscaling maximum of the storefront (10): from 16 the budget warns, from 20 synth fails. */
  readonly storefrontMaxCapacity?: number;
  /** Whether the services deploy one at a time (deployInWaves): the budget then counts only the largest surge. */
  readonly deployInWaves?: boolean;
}

/** The connections the platform grants the orders team's app. */
const ORDERS_ALLOCATION_CONNECTIONS = 100;

/**
 * max_connections of the platform database, written into its parameter group: 800 for the platform's own consumers,
 * plus the orders team's allocation, the user manager's and the master secret rotation's sessions, and the share of
 * them the derived proxy percent rounds away.
 */
const MAX_CONNECTIONS = 904;

/** The database, its proxy and the budget every consumer draws from. */
export class DataStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly budget: ConnectionBudget;

  constructor(scope: Construct, id: string, props?: StackProps & Pick<PlatformOptions, 'deployInWaves'>) {
    super(scope, id, props);
    this.vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    this.vpc.addFlowLog('FlowLog');
    const database = new BudgetedDatabase(this, 'Database', {
      vpc: this.vpc,
      instanceEngine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE),
      maxConnections: MAX_CONNECTIONS,
      idleInTransactionSessionTimeout: Duration.minutes(1),
      backupRetention: Duration.days(14),
      reservations: [
        { name: 'migrations', connections: 10 },
        { name: 'admin', connections: 5 },
      ],
      deployInWaves: props?.deployInWaves,
    });
    Annotations.of(database).acknowledgeWarning(`CB-MAX-CONNECTIONS-REBOOT-${MAX_CONNECTIONS}`,
      'The database was created with this value; no change is pending a reboot.');
    acknowledge(database,
      ['AwsSolutions-RDS11', 'The default port is reachable only from the proxy and the budgeted clients\' security groups; a custom port hides nothing from them.']);
    this.budget = database.budget;
    // The orders team deploys its own app (bin/team-app.ts) against this database: it gets 100 connections through the proxy.
    this.budget.addAllocation({ name: ORDERS_ALLOCATION, connections: ORDERS_ALLOCATION_CONNECTIONS });
    new ConnectionBudgetMonitoring(this, 'BudgetMonitoring', { budget: database.budget });
  }
}

interface ConsumerStackProps extends StackProps {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly budget: ConnectionBudget;
}

// Placeholder images: the example synthesizes, it is not meant to serve traffic.
const image = (name: string) => ecs.ContainerImage.fromRegistry(`public.ecr.aws/example/${name}:1.0.0`);

/** Three web services behind public load balancers, each on another framework. */
export class WebStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsumerStackProps & PlatformOptions) {
    super(scope, id, props);
    const web = (name: string, maxCapacity: number) => {
      const pattern = new patterns.ApplicationLoadBalancedFargateService(this, name, {
        cluster: props.cluster,
        desiredCount: 2,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { rollback: true },
        taskImageOptions: { image: image(name.toLowerCase()), containerPort: 8080 },
      });
      pattern.service.autoScaleTaskCount({ minCapacity: 2, maxCapacity }).scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
      return pattern.service;
    };
    // Rails: 10 Puma threads share one pool of 10; the generated database.yml reads RAILS_MAX_THREADS.
    props.budget.addEcsService(web('Storefront', props.storefrontMaxCapacity ?? 10), {
      pool: PoolSize.fixed(10), poolSettings: PoolSettingsPreset.rails(),
    });
    // Node under `cluster` with two workers per task, each with its own pg.Pool.
    props.budget.addEcsService(web('Checkout', 6), {
      pool: PoolSize.fixed(8), processesPerTask: 2, poolSettings: PoolSettingsPreset.nodePostgres(),
    });
    // Spring Boot: HikariCP's pool is derived from what the fixed pools leave, shared by weight.
    props.budget.addEcsService(web('Accounts', 6), {
      pool: PoolSize.share({ weight: 1, min: 2, max: 20 }), poolSettings: PoolSettingsPreset.springBootHikari(),
    });
    acknowledge(this, POOL_VARIABLES, NO_ACCESS_LOGS,
      ['AwsSolutions-EC23', 'The storefront, checkout and accounts load balancers are public web entry points; they listen on port 80 only.']);
  }
}

/** Acknowledges cdk-nag findings on a scope, each with its reason. */
function acknowledge(scope: Construct, ...findings: Array<[id: string, reason: string]>): void {
  Validations.of(scope).acknowledge(...findings.map(([id, reason]) => ({ id, reason })));
}

const POOL_VARIABLES: [string, string] = ['AwsSolutions-ECS2',
  'The plain environment variables are pool sizes and timeouts from the connection budget, not secrets; in plain text they show in cdk diff for review.'];
const NO_ACCESS_LOGS: [string, string] = ['AwsSolutions-ELB2', 'The example deploys no log bucket; a production app turns on access logs.']

/** A queue worker and an autoscaled internal API. */
export class BackendStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsumerStackProps) {
    super(scope, id, props);
    const deadLetters = new sqs.Queue(this, 'OrderDeadLetters', { enforceSSL: true, retentionPeriod: Duration.days(14) });
    const orders = new sqs.Queue(this, 'Orders', { enforceSSL: true, deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 } });
    const worker = new patterns.QueueProcessingFargateService(this, 'OrderWorker', {
      cluster: props.cluster,
      queue: orders,
      image: image('order-worker'),
      minScalingCapacity: 1,
      maxScalingCapacity: 8,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
    });
    // Two containers, two pools: the worker's SQLAlchemy pool of 4 plus an overflow of 2 (counted in the worst case and
    // delivered explicitly), and an outbox relay beside it in the same task with a node-postgres pool of 1.
    worker.taskDefinition.addContainer('outbox-relay', {
      image: image('outbox-relay'), memoryLimitMiB: 128, essential: false, logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'outbox-relay' }),
    });
    props.budget.addEcsService(worker.service, { pool: PoolSize.fixed(4), overflowPerPool: 2, poolSettings: PoolSettingsPreset.sqlAlchemy() });
    props.budget.addEcsService(worker.service, { containerName: 'outbox-relay', pool: PoolSize.fixed(1), poolSettings: PoolSettingsPreset.nodePostgres() });

    const internalApi = new patterns.ApplicationLoadBalancedFargateService(this, 'InventoryApi', {
      cluster: props.cluster,
      publicLoadBalancer: false,
      desiredCount: 2,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      taskImageOptions: { image: image('inventory-api'), containerPort: 8080 },
    });
    internalApi.service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 4 }).scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    // Go with pgx: the pool parameters are appended to the connection URL.
    props.budget.addEcsService(internalApi.service, { pool: PoolSize.share({ weight: 2, min: 2, max: 20 }), poolSettings: PoolSettingsPreset.pgx() });
    acknowledge(this, POOL_VARIABLES, NO_ACCESS_LOGS,
      ['AwsSolutions-EC23', 'The inventory load balancer is internal: 0.0.0.0/0 on port 80 reaches only addresses inside the VPC.']);
  }
}

/** The background work of the incidents, now bounded: a scheduled sync job and an event-driven function. */
export class JobsStack extends Stack {
  constructor(scope: Construct, id: string, props: ConsumerStackProps) {
    super(scope, id, props);
    // Every 15 minutes, two tasks per run. A run can outlive its interval; the job's own lock lets at most
    // two runs overlap, and the budget counts both.
    const sync = new patterns.ScheduledFargateTask(this, 'InventorySync', {
      cluster: props.cluster,
      schedule: events.Schedule.rate(Duration.minutes(15)),
      desiredTaskCount: 2,
      scheduledFargateTaskImageOptions: { image: image('inventory-sync'), memoryLimitMiB: 1024 },
    });
    props.budget.addEcsTask(sync.taskDefinition, { maxConcurrentRuns: 2, pool: PoolSize.fixed(4) });

    const orderEvents = new nodejs.NodejsFunction(this, 'OrderEvents', {
      entry: path.join(__dirname, 'functions', 'order-events.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      // The bound the budget counts: 20 environments × a pool of 1.
      reservedConcurrentExecutions: 20,
      timeout: Duration.seconds(30),
      bundling: { forceDockerBundling: false, minify: true },
    });
    props.budget.addLambdaFunction(orderEvents, { poolSettings: PoolSettingsPreset.nodePostgres() });
    acknowledge(this, POOL_VARIABLES,
      ...['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole'].map((policy): [string, string] => [
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        'The managed policies CDK gives a function in a VPC: its logs and its network interfaces only.']),
      ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:*:task/PlatformCluster:ExportsOutputRefClusterEB0386A796A0E3FE/*]',
        'The schedule\'s events role (written by ScheduledFargateTask) may act on the tasks it starts, in this cluster only.']);
  }
}

/** The example platform: one PostgreSQL database behind RDS Proxy shared by seven consumers in four stacks. */
export function buildPlatform(app: Construct, options: PlatformOptions = {}): { data: DataStack; web: WebStack; backend: BackendStack; jobs: JobsStack } {
  const data = new DataStack(app, 'PlatformData', { deployInWaves: options.deployInWaves });
  const shared = new Stack(app, 'PlatformCluster');
  const cluster = new ecs.Cluster(shared, 'Cluster', { vpc: data.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const consumers = { vpc: data.vpc, cluster, budget: data.budget };
  const web = new WebStack(app, 'PlatformWeb', { ...consumers, ...options });
  const backend = new BackendStack(app, 'PlatformBackend', consumers);
  const jobs = new JobsStack(app, 'PlatformJobs', consumers);
  return { data, web, backend, jobs };
}
