import { aws_ec2 as ec2, Duration } from 'aws-cdk-lib';
import { PoolSettingsPreset } from './pool-settings-preset';
import { PoolSize } from './pool-size';

/** Connections kept free on purpose: migrations, admin sessions, BI tools, another team's app. */
export interface ConnectionReservation {
  /**
   * What the connections are for; shown in messages.
   */
  readonly name: string;

  /**
   * How many connections to keep free.
   */
  readonly connections: number;

  /**
   * Whether these clients connect through the proxy; they then also take from the proxy's ceiling.
   *
   * @default false - they connect to the database directly
   */
  readonly throughProxy?: boolean;

  /**
   * The clients that use the reservation (a bastion's security group, a BI tool's address range). They get
   * ingress to the proxy or database and count as budgeted, so CB-UNBUDGETED-INGRESS does not flag their rules.
   * A range of every address (ec2.Peer.anyIpv4(), anyIpv6(), a CIDR of prefix length 0) fails synth (CB-OPEN-CLIENT).
   *
   * @default - none
   */
  readonly clients?: ec2.IConnectable[];

  /**
   * Whether these are the connections of the RDS Data API on the budget's Aurora cluster (`enableDataApi`). Its
   * callers reach the writer with no security group rule, so a cluster with the Data API on fails synth
   * (CB-UNBUDGETED-CLIENT) until a reservation counts them.
   *
   * @default false
   */
  readonly dataApi?: boolean;
}

/** How any consumer uses its database connections. */
export interface ConsumerOptions {
  /**
   * The size of each connection pool.
   *
   * @default PoolSize.share() - a share of what fixed pools leave, weight 1, between 1 and 20
   * (Lambda functions: PoolSize.fixed(1))
   */
  readonly pool?: PoolSize;

  /**
   * Pools per process: Rails primary/cache/queue databases, a second DataSource.
   *
   * @default 1
   */
  readonly poolsPerProcess?: number;

  /**
   * Connections each pool may open beyond its maximum (SQLAlchemy max_overflow); counted in the worst case.
   *
   * @default 0
   */
  readonly overflowPerPool?: number;

  /**
   * Which environment variables carry the pool settings: the ones the consumer's framework reads.
   *
   * @default PoolSettingsPreset.generic() - DB_POOL_MAX, DB_POOL_MIN and so on
   */
  readonly poolSettings?: PoolSettingsPreset;

  /**
   * Connections each pool keeps open while idle; low, so a deploy does not open every pool at once.
   *
   * @default 1
   */
  readonly minIdleConnections?: number;

  /**
   * How long a request waits for a pooled connection before it fails.
   *
   * @default Duration.seconds(30)
   */
  readonly acquireTimeout?: Duration;

  /**
   * Names this pool set when one container (or function) holds several: a second client library, a cache database.
   * Each set registers on its own, with its own pool, preset and variables; the worst case adds them up. The consumer's
   * path becomes `<path>#<poolName>`.
   *
   * @default - the container's or function's only pool set
   */
  readonly poolName?: string;

  /**
   * Connect to the database directly instead of through the proxy. The consumer's worst case is then kept
   * out of max_connections before the proxy's share; it needs a fixed pool.
   *
   * @default false
   */
  readonly bypassProxy?: boolean;
}

/** How an ECS service uses its database connections. */
export interface EcsServiceConsumerOptions extends ConsumerOptions {
  /**
   * Processes per task that each open their own pools: gunicorn or Puma workers, node cluster workers.
   *
   * @default 1
   */
  readonly processesPerTask?: number;

  /**
   * The most tasks the service can run, for when the template's desired count or autoscaling maximum is
   * a token (or the service is a DAEMON). Where the template gives a number too, the larger one counts.
   *
   * @default - the larger of the service's desired count and its autoscaling maximum
   */
  readonly maxTasks?: number;

  /**
   * The container that receives the pool settings as environment variables.
   *
   * @default - the task definition's default container
   */
  readonly containerName?: string;
}

/** How a standalone ECS task definition (a scheduled job, a task started by Step Functions) uses its connections. */
export interface EcsTaskConsumerOptions extends ConsumerOptions {
  /**
   * The most runs that can overlap. A run that outlives its schedule's interval overlaps the next one,
   * and nothing in ECS stops it: state the bound the job's own timeout or lock guarantees.
   */
  readonly maxConcurrentRuns: number;

  /**
   * Tasks one run starts, for launchers outside EventBridge (Step Functions, RunTask) or a TaskCount that
   * is a token. Where EventBridge targets in the app run the task definition too, the larger number counts.
   *
   * @default - the TaskCount of every EventBridge target in the app that runs the task definition, summed
   */
  readonly tasksPerRun?: number;

  /**
   * Processes per task that each open their own pools.
   *
   * @default 1
   */
  readonly processesPerTask?: number;

  /**
   * The container that receives the pool settings as environment variables.
   *
   * @default - the task definition's default container
   */
  readonly containerName?: string;

  /**
   * Security groups the tasks run with; they get ingress to the proxy or database.
   *
   * @default - the security groups of the EventBridge targets in the app that run the task definition
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/** How a Lambda function uses its database connections. */
export interface LambdaFunctionConsumerOptions extends ConsumerOptions {
  /**
   * The most execution environments, for when the function's reserved concurrency is a token. A function
   * without reserved concurrency stays unbounded whatever this says (CB-UNBOUNDED-LAMBDA).
   *
   * @default - the function's reserved concurrency
   */
  readonly maxConcurrency?: number;
}
