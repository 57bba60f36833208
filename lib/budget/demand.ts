import { count } from './text';

/**
 * ECS rolling updates keep at most maximumPercent of the desired count RUNNING or PENDING, rounded
 * down; the service API default is 200 and CDK renders `maxHealthyPercent || 200`.
 * Sources: SOURCES.ecsDeploymentConfiguration, SOURCES.cdkBaseService.
 */
export const ECS_DEFAULT_MAXIMUM_PERCENT = 200;

/**
 * Blue/green, linear and canary deployments (ECS-native strategies, or the CODE_DEPLOY and
 * EXTERNAL controllers) start the whole new revision beside the old one and keep both through the
 * bake time, so the fleet doubles. Sources: SOURCES.ecsBlueGreen, SOURCES.ecsLinear.
 */
export const PARALLEL_FLEET_FACTOR = 2;

/** How a consumer's instances are replaced during a deployment. */
export type DeploymentModel =
  | { readonly kind: 'rolling'; readonly maximumPercent: number }
  | { readonly kind: 'parallel-fleet'; readonly reason: string };

/** An ECS service: its task count bound and deployment model, as the template deploys them. */
export interface EcsServiceShape {
  readonly kind: 'ecs-service';
  readonly maxTasks: number;
  /** Where maxTasks came from, for messages: `autoscaling maximum`, `desired count`. */
  readonly maxTasksBasis: string;
  readonly deployment: DeploymentModel;
}

/** A Lambda function: one pool set per execution environment, environments bounded by reserved concurrency. */
export interface LambdaFunctionShape {
  readonly kind: 'lambda-function';
  /** The most execution environments that run at once. */
  readonly maxConcurrency: number;
  /** Where maxConcurrency came from, for messages: `reserved concurrency`. */
  readonly maxConcurrencyBasis: string;
}

/** A standalone ECS task definition (scheduled job, RunTask): overlapping runs, each of some tasks. */
export interface EcsTaskShape {
  readonly kind: 'ecs-task';
  /** Runs that can overlap: a run that outlives the schedule interval overlaps the next one. */
  readonly maxConcurrentRuns: number;
  /** Tasks each run starts, summed over every launcher (EventBridge target) that runs the task definition. */
  readonly tasksPerRun: number;
  /** Where tasksPerRun came from, for messages: `EventBridge target task count`. */
  readonly tasksPerRunBasis: string;
}

/** The deployed shape of a consumer, one variant per kind. */
export type ConsumerShape = EcsServiceShape | LambdaFunctionShape | EcsTaskShape;

/** The kinds of consumer the budget counts. */
export type ConsumerKind = ConsumerShape['kind'];

/** How each instance (task, execution environment) opens connections. */
export interface ConnectionShape {
  /** Processes per instance, each with its own pools: gunicorn workers, Puma workers, node cluster. */
  readonly processes: number;
  /** Pools per process: Rails primary/cache/queue, a second DataSource. */
  readonly poolsPerProcess: number;
  /** Connections a pool may open beyond its maximum (SQLAlchemy max_overflow). */
  readonly overflowPerPool: number;
}

/** Instances that hold connections: in steady state and at the worst case, with how the peak arises. */
export interface InstanceCounts {
  readonly steady: number;
  readonly peak: number;
  /** `10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks`. */
  readonly explanation: string;
}

/** The steady and worst-case instance counts of a consumer. */
export function instanceCounts(shape: ConsumerShape): InstanceCounts {
  if (shape.kind === 'lambda-function') {
    // Lambda replaces environments on a deploy without running more than the reserved concurrency at once.
    const environments = shape.maxConcurrency;
    return { steady: environments, peak: environments, explanation: `${count(environments, 'execution environment')} (${shape.maxConcurrencyBasis})` };
  }
  if (shape.kind === 'ecs-task') {
    // A job holds its connections while it runs; its steady state is its worst case.
    const tasks = shape.maxConcurrentRuns * shape.tasksPerRun;
    return {
      steady: tasks,
      peak: tasks,
      explanation: `${count(shape.maxConcurrentRuns, 'concurrent run')} × ${count(shape.tasksPerRun, 'task')} (${shape.tasksPerRunBasis}) = ${count(tasks, 'task')}`,
    };
  }
  const steady = shape.maxTasks;
  const tasks = `${count(steady, 'task')} (${shape.maxTasksBasis})`;
  if (shape.deployment.kind === 'parallel-fleet') {
    const peak = steady * PARALLEL_FLEET_FACTOR;
    return { steady, peak, explanation: `${tasks} × ${PARALLEL_FLEET_FACTOR} for ${shape.deployment.reason} = ${count(peak, 'task')}` };
  }
  const peak = rollingPeak(steady, shape.deployment.maximumPercent);
  return { steady, peak, explanation: `${tasks} × ${shape.deployment.maximumPercent} % rolling surge = ${count(peak, 'task')}` };
}

/** Tasks running or pending during a rolling update: floor(tasks × maximumPercent / 100), never fewer than tasks. */
export function rollingPeak(tasks: number, maximumPercent: number): number {
  return Math.max(tasks, Math.floor((tasks * maximumPercent) / 100));
}

/** The knob that bounds a consumer's instances: its name in messages and its value. */
export interface InstanceBound {
  /** `autoscaling maximum`, `reserved concurrency`, `maximum concurrent runs`. */
  readonly name: string;
  readonly value: number;
}

/** The bound a user lowers to shrink a consumer's worst case. */
export function instanceBound(shape: ConsumerShape): InstanceBound {
  switch (shape.kind) {
    case 'lambda-function':
      return { name: shape.maxConcurrencyBasis, value: shape.maxConcurrency };
    case 'ecs-task':
      return { name: 'maximum concurrent runs', value: shape.maxConcurrentRuns };
    case 'ecs-service':
      return { name: shape.maxTasksBasis, value: shape.maxTasks };
  }
}

/** The same shape with a different bound, for "what would fit" suggestions. */
export function withInstanceBound(shape: ConsumerShape, value: number): ConsumerShape {
  switch (shape.kind) {
    case 'lambda-function':
      return { ...shape, maxConcurrency: value };
    case 'ecs-task':
      return { ...shape, maxConcurrentRuns: value };
    case 'ecs-service':
      return { ...shape, maxTasks: value };
  }
}

/** Connections one instance may hold with the given pool size. */
export function connectionsPerInstance(connections: ConnectionShape, poolSize: number): number {
  return connections.processes * connections.poolsPerProcess * (poolSize + connections.overflowPerPool);
}

/** `1 process × 2 pools × (pool 10 + overflow 5)`, or `2 pools × (pool 10 + overflow 5)` withoutOnes; Lambda environments have no process count. */
export function describePerInstance(kind: ConsumerKind, connections: ConnectionShape, poolSize: number, withoutOnes = false): string {
  const pool = connections.overflowPerPool > 0
    ? `(pool ${poolSize} + overflow ${connections.overflowPerPool})`
    : `pool ${poolSize}`;
  const shown = (n: number) => !withoutOnes || n !== 1;
  return [
    ...(kind !== 'lambda-function' && shown(connections.processes) ? [count(connections.processes, 'process', 'processes')] : []),
    ...(shown(connections.poolsPerProcess) ? [count(connections.poolsPerProcess, 'pool')] : []),
    pool,
  ].join(' × ');
}
