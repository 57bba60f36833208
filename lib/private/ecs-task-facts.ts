import { aws_ec2 as ec2, aws_ecs as ecs, aws_events as events, Stack } from 'aws-cdk-lib';
import { EcsTaskShape, UnresolvedValue } from '../budget';
import { AppIndex } from './app-index';
import { numberValue, objectValue, resolved } from './template-values';

/**
 * EventBridge runs one task per invocation when an ECS target omits TaskCount
 * (AWS::Events::Rule EcsParameters TaskCount: "The default is 1"; SOURCES.eventBridgeEcsParameters).
 */
export const EVENTBRIDGE_DEFAULT_TASK_COUNT = 1;

/** An EventBridge rule target that runs a task definition. */
interface EcsTarget {
  readonly rule: events.CfnRule;
  readonly parameters: Record<string, unknown>;
}

/** Every EventBridge target in the app whose EcsParameters run `taskDefinition`. */
export function ecsTargetsOf(taskDefinition: ecs.TaskDefinition, index: AppIndex): EcsTarget[] {
  const found: EcsTarget[] = [];
  for (const rule of index.rules) {
    const targets = resolved(rule, rule.targets);
    if (!Array.isArray(targets)) continue;
    const arn = JSON.stringify(Stack.of(rule).resolve(taskDefinition.taskDefinitionArn));
    for (const target of targets) {
      const parameters = objectValue((target as Record<string, unknown>)?.ecsParameters);
      if (parameters.kind === 'known' && JSON.stringify(parameters.value.taskDefinitionArn) === arn) {
        found.push({ rule, parameters: parameters.value });
      }
    }
  }
  return found;
}

/** The security groups the EventBridge targets give the task, matched to the app's security group constructs. */
export function targetSecurityGroups(targets: readonly EcsTarget[], index: AppIndex): ec2.ISecurityGroup[] {
  const groups = new Set<ec2.ISecurityGroup>();
  for (const { rule, parameters } of targets) {
    const network = objectValue(parameters.networkConfiguration);
    const vpc = network.kind === 'known' ? objectValue(network.value.awsVpcConfiguration) : network;
    const ids = vpc.kind === 'known' && Array.isArray(vpc.value.securityGroups) ? vpc.value.securityGroups.map((id) => JSON.stringify(id)) : [];
    for (const group of index.securityGroups) {
      if (ids.includes(JSON.stringify(Stack.of(rule).resolve(group.securityGroupId)))) {
        groups.add(group);
      }
    }
  }
  return [...groups];
}

/** The task's worst-case shape, or the values that keep it unknown. */
export interface EcsTaskFacts {
  readonly shape?: EcsTaskShape;
  readonly unresolved: readonly UnresolvedValue[];
}

/**
 * Tasks per run: the TaskCount of every EventBridge target that runs the task definition, summed (each
 * launcher's runs can overlap the others'). `tasksPerRunBound` stands in for tokens and for launchers
 * outside EventBridge; where both exist, the larger counts.
 */
export function gatherEcsTaskFacts(taskDefinition: ecs.TaskDefinition, maxConcurrentRuns: number, tasksPerRunBound: number | undefined, index: AppIndex): EcsTaskFacts {
  const path = taskDefinition.node.path;
  const unresolved: UnresolvedValue[] = [];
  let fromTargets = 0;
  const targets = ecsTargetsOf(taskDefinition, index);
  for (const { rule, parameters } of targets) {
    const taskCount = numberValue(parameters.taskCount);
    if (taskCount.kind === 'known') {
      fromTargets += taskCount.value;
    } else if (taskCount.kind === 'absent') {
      fromTargets += EVENTBRIDGE_DEFAULT_TASK_COUNT;
    } else if (tasksPerRunBound === undefined) {
      unresolved.push({ path: rule.node.path, what: 'TaskCount', fix: `Pass tasksPerRun to addEcsTask() for '${path}'.` });
    }
  }
  if (targets.length === 0 && tasksPerRunBound === undefined) {
    unresolved.push({
      path, what: 'task count per run', why: 'no EventBridge rule in the app runs this task definition',
      fix: `Pass tasksPerRun to addEcsTask() for '${path}': the most tasks one run starts (Step Functions, RunTask).`,
    });
  }
  if (unresolved.length > 0) {
    return { unresolved };
  }
  const useBound = tasksPerRunBound !== undefined && tasksPerRunBound > fromTargets;
  return {
    shape: {
      kind: 'ecs-task',
      maxConcurrentRuns,
      tasksPerRun: useBound ? tasksPerRunBound : fromTargets,
      tasksPerRunBasis: useBound ? 'tasksPerRun bound' : targets.length > 1 ? 'task counts of its EventBridge targets' : 'EventBridge target task count',
    },
    unresolved,
  };
}
