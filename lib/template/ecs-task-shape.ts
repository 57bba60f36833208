import { EcsTaskShape, InvalidValue, MAX_COUNT, UnresolvedValue } from '../budget';
import { ShapeFacts } from './ecs-service-shape';
import { countAlternatives, describeValue, field } from './values';

/**
 * EventBridge (rules and EventBridge Scheduler) runs one task per invocation when an ECS target omits TaskCount
 * (EcsParameters TaskCount: "The default is 1"; SOURCES.eventBridgeEcsParameters).
 */
export const EVENTBRIDGE_DEFAULT_TASK_COUNT = 1;

/** A standalone task definition with the EventBridge targets that run it. */
export interface EcsTaskResources {
  /** Path of the task definition, for messages. */
  readonly path: string;
  /** The EcsParameters of every EventBridge target (rule or schedule) that runs the task definition. */
  readonly launchers: ReadonlyArray<{ readonly path: string; readonly ecsParameters: unknown }>;
  readonly maxConcurrentRuns: number;
  /** Stands in for tokens and for launchers outside EventBridge; where both exist, the larger counts. */
  readonly tasksPerRunBound?: number;
}

/** Tasks per run: the TaskCount of every EventBridge target that runs the task definition, summed (their runs can overlap). */
export function ecsTaskShape(resources: EcsTaskResources): ShapeFacts<EcsTaskShape> {
  const { path, tasksPerRunBound } = resources;
  const unresolved: UnresolvedValue[] = [];
  const invalid: InvalidValue[] = [];
  let fromTargets = 0;
  for (const launcher of resources.launchers) {
    // Every branch of a conditional TaskCount may deploy; a branch that leaves it out runs EventBridge's default.
    const count = countAlternatives(field(launcher.ecsParameters, 'TaskCount'), 1, MAX_COUNT);
    const literal = Math.max(count.largest ?? 0, count.absent ? EVENTBRIDGE_DEFAULT_TASK_COUNT : 0);
    if (count.invalid) {
      invalid.push({ path: launcher.path, what: 'TaskCount', value: describeValue(count.invalid.value), allowed: `a whole number from 1 to ${MAX_COUNT}`, fix: `Give '${launcher.path}' a task count ECS accepts.` });
    } else if (count.token && tasksPerRunBound === undefined) {
      unresolved.push({ path: launcher.path, what: 'TaskCount', fix: `Pass tasksPerRun to addEcsTask() for '${path}'.` });
    } else {
      // A token branch is covered by the bound below, which counts when it is the larger.
      fromTargets += literal;
    }
  }
  if (resources.launchers.length === 0 && tasksPerRunBound === undefined) {
    unresolved.push({
      path, what: 'task count per run', why: 'no EventBridge rule in the app runs this task definition',
      fix: `Pass tasksPerRun to addEcsTask() for '${path}': the most tasks one run starts (Step Functions, RunTask).`,
    });
  }
  if (unresolved.length > 0 || invalid.length > 0) {
    return { unresolved, invalid };
  }
  const useBound = tasksPerRunBound !== undefined && tasksPerRunBound > fromTargets;
  return {
    shape: {
      kind: 'ecs-task',
      maxConcurrentRuns: resources.maxConcurrentRuns,
      tasksPerRun: useBound ? tasksPerRunBound : fromTargets,
      tasksPerRunBasis: useBound ? 'tasksPerRun bound' : resources.launchers.length > 1 ? 'task counts of its EventBridge targets' : 'EventBridge target task count',
    },
    unresolved,
    invalid,
  };
}
