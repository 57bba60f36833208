import { DeploymentModel, ECS_DEFAULT_MAXIMUM_PERCENT, ECS_MAX_TASKS_PER_SERVICE, EcsServiceShape, InvalidValue, MAX_COUNT, UnresolvedValue } from '../budget';
import { alternatives, ifArguments, listItems } from './intrinsics';
import { countAlternatives, describeValue, field, objectField, objectValue, stringValue, wholeInRange } from './values';

/**
 * CloudFormation starts a new service with one task when DesiredCount is omitted (SOURCES.ecsServiceDesiredCount:
 * "For new services, if a desired count is not specified, a default value of 1 is used"). On an update it leaves the
 * running count alone, so a count changed outside the templates stays: a known limit (docs/known-limits.md).
 */
export const ECS_DEFAULT_DESIRED_COUNT = 1;

/** The scalable dimension of an ECS service's task count. */
export const ECS_DESIRED_COUNT_DIMENSION = 'ecs:service:DesiredCount';

/** Deployment strategies that run the new revision's whole fleet beside the old one. */
const PARALLEL_FLEET_STRATEGIES: Readonly<Record<string, string>> = {
  BLUE_GREEN: 'an ECS blue/green deployment',
  LINEAR: 'an ECS linear deployment',
  CANARY: 'an ECS canary deployment',
};
const PARALLEL_FLEET_CONTROLLERS: Readonly<Record<string, string>> = {
  CODE_DEPLOY: 'a CodeDeploy blue/green deployment',
  EXTERNAL: 'an EXTERNAL deployment controller (counted as two fleets)',
};

/** An ECS service as its resources deploy it: the service's properties and every scalable target that scales it. */
export interface EcsServiceResources {
  /** Path of the service, for messages. */
  readonly path: string;
  /** The AWS::ECS::Service properties. */
  readonly service: unknown;
  readonly scalableTargets: ReadonlyArray<{ readonly path: string; readonly properties: unknown }>;
  /** The consumer's maxTasks: stands in for tokens; where the template gives a number too, the larger counts. */
  readonly maxTasksBound?: number;
}

/** A consumer's deployed shape, or the values that keep it unknown or cannot be right. */
export interface ShapeFacts<S> {
  readonly shape?: S;
  readonly unresolved: readonly UnresolvedValue[];
  readonly invalid: readonly InvalidValue[];
}

/** The worst-case task count and deployment model of an ECS service. */
export function ecsServiceShape(resources: EcsServiceResources): ShapeFacts<EcsServiceShape> {
  const { path, service, maxTasksBound } = resources;
  const unresolved: UnresolvedValue[] = [];
  const invalid: InvalidValue[] = [];
  const fix = `Pass maxTasks to addEcsService() for '${path}': the most tasks it can ever run.`;
  const unknown = (where: string, what: string) => {
    if (maxTasksBound === undefined) unresolved.push({ path: where, what, fix });
  };
  // Every branch of a conditional count may deploy: the largest literal counts, a token needs the bound.
  const taskCount = (where: string, what: string, value: unknown): number | undefined => {
    const count = countAlternatives(value, 0, ECS_MAX_TASKS_PER_SERVICE);
    if (count.invalid) {
      invalid.push({
        path: where, what, value: describeValue(count.invalid.value), allowed: `a whole number from 0 to ${ECS_MAX_TASKS_PER_SERVICE} (ECS runs at most ${ECS_MAX_TASKS_PER_SERVICE} tasks per service)`,
        fix: `Give '${where}' a ${what} ECS can run.`,
      });
    } else if (count.token) {
      unknown(where, what);
    }
    return count.largest;
  };

  const candidates: Array<{ value: number; basis: string }> = [];
  for (const target of resources.scalableTargets) {
    const max = taskCount(target.path, 'MaxCapacity', field(target.properties, 'MaxCapacity'));
    if (max !== undefined) candidates.push({ value: max, basis: 'autoscaling maximum' });
    // A scheduled action sets the target's capacity while it is in force: its maximum (or minimum) is a task count too.
    const actions = listItems(field(target.properties, 'ScheduledActions'));
    if (actions.computed.length > 0) {
      unknown(target.path, 'ScheduledActions');
    }
    for (const action of actions.items) {
      const name = typeof field(action, 'ScheduledActionName') === 'string' ? field(action, 'ScheduledActionName') as string : 'a scheduled action';
      const capacity = field(action, 'ScalableTargetAction');
      if (capacity !== undefined && objectValue(capacity).kind === 'token' && ifArguments(capacity) === undefined) {
        unknown(target.path, `ScalableTargetAction of scheduled action '${name}'`);
      }
      for (const bound of ['MaxCapacity', 'MinCapacity']) {
        const value = field(capacity, bound);
        if (value === undefined || value === null) continue;
        const scheduled = taskCount(target.path, `${bound} of scheduled action '${name}'`, value);
        if (scheduled !== undefined) candidates.push({ value: scheduled, basis: 'scheduled scaling' });
      }
    }
  }

  // A strategy known only at deploy may be DAEMON: one task per container instance, which the template cannot say.
  const strategies = alternatives(field(service, 'SchedulingStrategy')).map(stringValue);
  const daemon = strategies.find((s) => s.kind === 'token' || (s.kind === 'known' && s.value === 'DAEMON'));
  if (daemon) {
    if (maxTasksBound === undefined) {
      unresolved.push({
        path, what: 'task count',
        why: daemon.kind === 'token' ? 'its SchedulingStrategy is known only at deploy, and a DAEMON service runs one task per container instance'
          : 'a DAEMON service runs one task per container instance',
        fix: `Pass maxTasks to addEcsService() for '${path}': the most container instances its cluster can run.`,
      });
    }
  } else {
    const desiredValue = field(service, 'DesiredCount');
    const desired = taskCount(path, 'DesiredCount', desiredValue);
    if (desired !== undefined) candidates.push({ value: desired, basis: 'desired count' });
    if (countAlternatives(desiredValue, 0, ECS_MAX_TASKS_PER_SERVICE).absent && resources.scalableTargets.length === 0) {
      candidates.push({ value: ECS_DEFAULT_DESIRED_COUNT, basis: 'desired count, CloudFormation default' });
    }
  }
  if (maxTasksBound !== undefined) {
    candidates.push({ value: maxTasksBound, basis: 'maxTasks bound' });
  }

  const deployment = deploymentModel(service, path, unresolved, invalid);
  if (unresolved.length > 0 || invalid.length > 0 || !deployment || candidates.length === 0) {
    return { unresolved, invalid };
  }
  // The first candidate of the highest value names the basis: autoscaling, then desired count, then the bound.
  const top = candidates.reduce((best, c) => (c.value > best.value ? c : best));
  return { shape: { kind: 'ecs-service', maxTasks: top.value, maxTasksBasis: top.basis, deployment }, unresolved, invalid };
}

function deploymentModel(service: unknown, path: string, unresolved: UnresolvedValue[], invalid: InvalidValue[]): DeploymentModel | undefined {
  const controller = objectField(service, 'DeploymentController');
  const controllerType = controller.kind === 'known' ? stringValue(field(controller.value, 'Type')) : controller;
  if (controllerType.kind === 'known' && PARALLEL_FLEET_CONTROLLERS[controllerType.value]) {
    return { kind: 'parallel-fleet', reason: PARALLEL_FLEET_CONTROLLERS[controllerType.value] };
  }
  const fixDeployment = `Give the deployment settings of '${path}' as literals.`;
  if (controllerType.kind === 'token') {
    unresolved.push({ path, what: 'DeploymentController', fix: fixDeployment });
    return undefined;
  }
  const configuration = objectField(service, 'DeploymentConfiguration');
  if (configuration.kind === 'token') {
    unresolved.push({ path, what: 'DeploymentConfiguration', fix: fixDeployment });
    return undefined;
  }
  const fields = configuration.kind === 'known' ? configuration.value : {};
  const strategy = stringValue(field(fields, 'Strategy'));
  if (strategy.kind === 'known' && PARALLEL_FLEET_STRATEGIES[strategy.value]) {
    return { kind: 'parallel-fleet', reason: PARALLEL_FLEET_STRATEGIES[strategy.value] };
  }
  const percentValue = field(fields, 'MaximumPercent');
  const maximumPercent = wholeInRange(percentValue, 0, MAX_COUNT);
  if (strategy.kind === 'token' || maximumPercent.kind === 'token') {
    unresolved.push({ path, what: 'DeploymentConfiguration', fix: fixDeployment });
    return undefined;
  }
  if (maximumPercent.kind === 'invalid') {
    invalid.push({ path, what: 'MaximumPercent', value: describeValue(percentValue), allowed: 'a whole number of percent', fix: fixDeployment });
    return undefined;
  }
  return { kind: 'rolling', maximumPercent: maximumPercent.kind === 'known' ? maximumPercent.value : ECS_DEFAULT_MAXIMUM_PERCENT };
}
