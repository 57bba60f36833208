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

/** The deployed shape of a consumer, one variant per kind. */
export type ConsumerShape = EcsServiceShape;

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

/** The same shape with a different task bound, for "what would fit" suggestions. */
export function withMaxTasks(shape: ConsumerShape, maxTasks: number): ConsumerShape {
  return { ...shape, maxTasks };
}

/** Connections one instance may hold with the given pool size. */
export function connectionsPerInstance(connections: ConnectionShape, poolSize: number): number {
  return connections.processes * connections.poolsPerProcess * (poolSize + connections.overflowPerPool);
}

/** `1 process × 2 pools × (pool 10 + overflow 5)`. */
export function describePerInstance(connections: ConnectionShape, poolSize: number): string {
  const pool = connections.overflowPerPool > 0
    ? `(pool ${poolSize} + overflow ${connections.overflowPerPool})`
    : `pool ${poolSize}`;
  return `${count(connections.processes, 'process', 'processes')} × ${count(connections.poolsPerProcess, 'pool')} × ${pool}`;
}
