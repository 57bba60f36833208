import {
  App, Duration, RemovalPolicy, Stack, StackProps,
  aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_rds as rds,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';

/** Knobs the README and the end-to-end tests turn. */
export interface PlatformOptions {
  /** Autoscaling maximum of the storefront (10): from 17 the budget warns, from 21 synth fails. */
  readonly storefrontMaxCapacity?: number;
}

/** The database, its proxy and the budget every service draws from. */
export class DataStack extends Stack {
  public readonly vpc: ec2.Vpc;
  public readonly budget: ConnectionBudget;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
    // max_connections set explicitly: the budget is exact, and resizing the instance cannot move it.
    const parameters = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      parameters: { max_connections: '800', idle_in_transaction_session_timeout: '60000' },
    });
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine,
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE),
      parameterGroup: parameters,
      multiAz: true,
      storageEncrypted: true,
      deletionProtection: true,
      backupRetention: Duration.days(14),
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    const proxy = database.addProxy('Proxy', {
      vpc: this.vpc,
      secrets: [database.secret!],
      requireTLS: true,
      maxConnectionsPercent: 90,
    });
    this.budget = new ConnectionBudget(this, 'ConnectionBudget', {
      database: DatabaseTarget.fromInstance(database),
      proxy,
      reservations: [
        { name: 'migrations', connections: 10 },
        { name: 'admin', connections: 5 },
      ],
    });
  }
}

interface ServiceStackProps extends StackProps {
  readonly cluster: ecs.ICluster;
  readonly budget: ConnectionBudget;
}

// Placeholder images: the example synthesizes, it is not meant to serve traffic.
const image = (name: string) => ecs.ContainerImage.fromRegistry(`public.ecr.aws/example/${name}:1.0.0`);

/** Three web services behind public load balancers. */
export class WebStack extends Stack {
  constructor(scope: Construct, id: string, props: ServiceStackProps & PlatformOptions) {
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
    // A Rails app: 10 threads per process share one pool of 10.
    props.budget.addEcsService(web('Storefront', props.storefrontMaxCapacity ?? 10), { pool: PoolSize.fixed(10) });
    // A node service run under `cluster` with two workers per task, each with its own pg.Pool.
    props.budget.addEcsService(web('Checkout', 6), { pool: PoolSize.fixed(8), processesPerTask: 2 });
    // Pool derived from the budget: whatever the fixed pools leave, shared by weight.
    props.budget.addEcsService(web('Accounts', 6), { pool: PoolSize.share({ weight: 1, min: 2, max: 20 }) });
  }
}

/** A queue worker and an autoscaled internal API. */
export class BackendStack extends Stack {
  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const worker = new patterns.QueueProcessingFargateService(this, 'OrderWorker', {
      cluster: props.cluster,
      image: image('order-worker'),
      minScalingCapacity: 1,
      maxScalingCapacity: 8,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
    });
    props.budget.addEcsService(worker.service, { pool: PoolSize.fixed(5) });

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
    props.budget.addEcsService(internalApi.service, { pool: PoolSize.share({ weight: 2, min: 2, max: 20 }) });
  }
}

/** The example platform: one PostgreSQL database behind RDS Proxy shared by five services in three stacks. */
export function buildPlatform(app: App, options: PlatformOptions = {}): { data: DataStack; web: WebStack; backend: BackendStack } {
  const data = new DataStack(app, 'PlatformData');
  const shared = new Stack(app, 'PlatformCluster');
  const cluster = new ecs.Cluster(shared, 'Cluster', { vpc: data.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const web = new WebStack(app, 'PlatformWeb', { cluster, budget: data.budget, ...options });
  const backend = new BackendStack(app, 'PlatformBackend', { cluster, budget: data.budget });
  return { data, web, backend };
}
