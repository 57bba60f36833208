import { Duration, Stack, StackProps, aws_ec2 as ec2, aws_ecs as ecs, aws_ecs_patterns as patterns, aws_sqs as sqs, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConnectionBudget, PoolSettingsPreset, PoolSize } from '../../lib';

/** The platform's budget and the allocation it grants the orders team (see DataStack in platform.ts). */
export const PLATFORM_BUDGET_PATH = 'PlatformData/Database/Budget';
export const ORDERS_ALLOCATION = 'orders-team';

/**
 * The account and region the team deploys to: CDK's context lookup of the allocation record needs them. The example's
 * record is cached in bin/team/cdk.context.json, so it synthesizes offline; a real team app runs one synth with
 * credentials to fill that file.
 */
export const TEAM_ENV = { account: '111111111111', region: 'eu-west-1' };

/**
 * The network the platform shares with the team (same account, or a VPC shared through AWS RAM): the allocation's
 * client security group lives in it. A real team app looks it up with ec2.Vpc.fromLookup.
 */
const PLATFORM_NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  privateSubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-08192a3b4c5d6e7f0'],
  privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-08192a3b4c5d6e7f0'],
};

/** Knobs the tests turn. */
export interface OrdersTeamOptions {
  /** Autoscaling maximum of the order API (6): at 8 even its minimum pools exceed the allocation and synth fails. */
  readonly orderApiMaxCapacity?: number;
}

/**
 * Another team's app, in its own repository and pipeline: an order API and a reconciliation job whose connections come
 * from the allocation the platform grants. Its budget reads the allocation record, sizes the pools to fill it, places
 * the consumers in the platform's client security group and checks the live record at deploy time.
 */
export class OrdersTeamStack extends Stack {
  public readonly budget: ConnectionBudget;

  constructor(scope: Construct, id: string, props: StackProps & OrdersTeamOptions) {
    super(scope, id, props);
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'PlatformVpc', PLATFORM_NETWORK);
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.budget = ConnectionBudget.fromAllocation(this, 'Budget', { owningBudgetPath: PLATFORM_BUDGET_PATH, allocationName: ORDERS_ALLOCATION });

    const api = new patterns.ApplicationLoadBalancedFargateService(this, 'OrderApi', {
      cluster,
      publicLoadBalancer: false,
      desiredCount: 2,
      minHealthyPercent: 100,
      maxHealthyPercent: 150,
      circuitBreaker: { rollback: true },
      taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/order-api:1.0.0'), containerPort: 8080 },
    });
    api.service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: props.orderApiMaxCapacity ?? 6 })
      .scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
    // Spring Boot with HikariCP: the pool shares what the allocation leaves, and never goes below 8.
    this.budget.addEcsService(api.service, { pool: PoolSize.share({ min: 8, max: 20 }), poolSettings: PoolSettingsPreset.springBootHikari() });

    const deadLetters = new sqs.Queue(this, 'ReconcileDeadLetters', { enforceSSL: true, retentionPeriod: Duration.days(14) });
    const reconcile = new sqs.Queue(this, 'Reconcile', { enforceSSL: true, deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 } });
    const reconciler = new patterns.QueueProcessingFargateService(this, 'Reconciler', {
      cluster,
      queue: reconcile,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/order-reconciler:1.0.0'),
      minScalingCapacity: 1,
      maxScalingCapacity: 2,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
    });
    this.budget.addEcsService(reconciler.service, { pool: PoolSize.fixed(3), poolSettings: PoolSettingsPreset.sqlAlchemy() });
    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-ECS2', reason: 'The pool settings and the proxy endpoint are configuration, not secrets; credentials come from the database secret.' },
      { id: 'AwsSolutions-ELB2', reason: 'The example deploys no log bucket; a production app turns on access logs.' },
      { id: 'AwsSolutions-EC23', reason: 'The order API load balancer is internal: 0.0.0.0/0 on port 80 reaches only addresses inside the VPC.' },
    );
  }
}
