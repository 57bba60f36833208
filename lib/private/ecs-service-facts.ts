import { aws_ecs as ecs } from 'aws-cdk-lib';
import { DeploymentModel, ECS_DEFAULT_MAXIMUM_PERCENT, EcsServiceShape, UnresolvedValue } from '../budget';
import { AppIndex } from './app-index';
import { numberValue, objectValue, ownerPath, resolved, stringValue } from './template-values';

/**
 * CloudFormation starts a new service with one task when DesiredCount is omitted
 * (AWS::ECS::Service DesiredCount: "For new services, if a desired count is not specified, a default value of 1 is used").
 */
export const ECS_DEFAULT_DESIRED_COUNT = 1;

const ECS_DESIRED_COUNT_DIMENSION = 'ecs:service:DesiredCount';

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

/** The service's deployed shape, or the values that keep it unknown. */
export interface EcsServiceFacts {
  readonly shape?: EcsServiceShape;
  readonly unresolved: readonly UnresolvedValue[];
}

/**
 * Reads the worst-case task count and deployment model of a service from its CfnService and any
 * CfnScalableTarget that scales it. `maxTasksBound` stands in for values that are tokens; where the
 * template gives a number too, the larger counts.
 */
export function gatherEcsServiceFacts(service: ecs.BaseService, maxTasksBound: number | undefined, index: AppIndex): EcsServiceFacts {
  const path = service.node.path;
  const cfn = service.node.defaultChild as ecs.CfnService;
  const unresolved: UnresolvedValue[] = [];
  const fix = `Pass maxTasks to addEcsService() for '${path}': the most tasks it can ever run.`;
  const unknown = (where: string, what: string) => {
    if (maxTasksBound === undefined) unresolved.push({ path: where, what, fix });
  };

  const candidates: Array<{ value: number; basis: string }> = [];
  const targets = index.scalableTargets.filter((t) =>
    t.scalableDimension === ECS_DESIRED_COUNT_DIMENSION && typeof t.resourceId === 'string' && t.resourceId.includes(service.serviceName));
  for (const target of targets) {
    const max = numberValue(resolved(target, target.maxCapacity));
    if (max.kind === 'known') {
      candidates.push({ value: max.value, basis: 'autoscaling maximum' });
    } else {
      unknown(ownerPath(target), 'MaxCapacity');
    }
  }

  const daemon = stringValue(resolved(cfn, cfn.schedulingStrategy));
  if (daemon.kind === 'known' && daemon.value === 'DAEMON') {
    if (maxTasksBound === undefined) {
      unresolved.push({
        path, what: 'task count', why: 'a DAEMON service runs one task per container instance',
        fix: `Pass maxTasks to addEcsService() for '${path}': the most container instances its cluster can run.`,
      });
    }
  } else {
    const desired = numberValue(resolved(cfn, cfn.desiredCount));
    if (desired.kind === 'known') {
      candidates.push({ value: desired.value, basis: 'desired count' });
    } else if (desired.kind === 'token') {
      unknown(path, 'DesiredCount');
    } else if (targets.length === 0) {
      candidates.push({ value: ECS_DEFAULT_DESIRED_COUNT, basis: 'desired count, CloudFormation default' });
    }
  }
  if (maxTasksBound !== undefined) {
    candidates.push({ value: maxTasksBound, basis: 'maxTasks bound' });
  }

  const deployment = deploymentModel(cfn, path, unresolved);
  if (unresolved.length > 0 || !deployment) {
    return { unresolved };
  }
  // The first candidate of the highest value names the basis: autoscaling, then desired count, then the bound.
  const top = candidates.reduce((best, c) => (c.value > best.value ? c : best));
  return { shape: { kind: 'ecs-service', maxTasks: top.value, maxTasksBasis: top.basis, deployment }, unresolved };
}

function deploymentModel(cfn: ecs.CfnService, path: string, unresolved: UnresolvedValue[]): DeploymentModel | undefined {
  const controller = objectValue(resolved(cfn, cfn.deploymentController));
  const controllerType = controller.kind === 'known' ? stringValue(controller.value.type) : controller;
  if (controllerType.kind === 'known' && PARALLEL_FLEET_CONTROLLERS[controllerType.value]) {
    return { kind: 'parallel-fleet', reason: PARALLEL_FLEET_CONTROLLERS[controllerType.value] };
  }
  const fixDeployment = `Give the deployment settings of '${path}' as literals.`;
  if (controllerType.kind === 'token') {
    unresolved.push({ path, what: 'DeploymentController', fix: fixDeployment });
    return undefined;
  }
  const configuration = objectValue(resolved(cfn, cfn.deploymentConfiguration));
  if (configuration.kind === 'token') {
    unresolved.push({ path, what: 'DeploymentConfiguration', fix: fixDeployment });
    return undefined;
  }
  const fields = configuration.kind === 'known' ? configuration.value : {};
  const strategy = stringValue(fields.strategy);
  if (strategy.kind === 'known' && PARALLEL_FLEET_STRATEGIES[strategy.value]) {
    return { kind: 'parallel-fleet', reason: PARALLEL_FLEET_STRATEGIES[strategy.value] };
  }
  const maximumPercent = numberValue(fields.maximumPercent);
  if (strategy.kind === 'token' || maximumPercent.kind === 'token') {
    unresolved.push({ path, what: 'DeploymentConfiguration', fix: fixDeployment });
    return undefined;
  }
  return { kind: 'rolling', maximumPercent: maximumPercent.kind === 'known' ? maximumPercent.value : ECS_DEFAULT_MAXIMUM_PERCENT };
}
