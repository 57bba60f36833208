import { aws_ec2 as ec2, aws_ecs as ecs, Stack } from 'aws-cdk-lib';
import { EcsTaskShape } from '../budget';
import { ShapeFacts } from '../template/ecs-service-shape';
import { ecsTaskShape } from '../template/ecs-task-shape';
import { field, objectField, objectValue } from '../template/values';
import { AppIndex } from './app-index';
import { ownerPath, resolved } from './l1';

/** An EventBridge target (a rule's, or an EventBridge Scheduler schedule's) that runs a task definition. */
export interface EcsLauncher {
  /** Path of the rule or schedule. */
  readonly path: string;
  readonly stack: Stack;
  /** The target's EcsParameters, resolved in its stack. */
  readonly ecsParameters: Record<string, unknown>;
}

/** Every EventBridge rule target and schedule in the app whose EcsParameters run `taskDefinition`. */
export function ecsLaunchersOf(taskDefinition: ecs.TaskDefinition, index: AppIndex): EcsLauncher[] {
  const found: EcsLauncher[] = [];
  const runs = (stack: Stack, parameters: unknown): parameters is Record<string, unknown> => {
    const known = objectValue(parameters);
    return known.kind === 'known'
      && JSON.stringify(field(known.value, 'TaskDefinitionArn')) === JSON.stringify(stack.resolve(taskDefinition.taskDefinitionArn));
  };
  for (const rule of index.rules) {
    const targets = resolved(rule, rule.targets);
    for (const target of Array.isArray(targets) ? targets : []) {
      const parameters = field(target, 'EcsParameters');
      if (runs(Stack.of(rule), parameters)) found.push({ path: ownerPath(rule), stack: Stack.of(rule), ecsParameters: parameters });
    }
  }
  for (const schedule of index.schedules) {
    const parameters = field(resolved(schedule, schedule.target), 'EcsParameters');
    if (runs(Stack.of(schedule), parameters)) found.push({ path: ownerPath(schedule), stack: Stack.of(schedule), ecsParameters: parameters });
  }
  return found;
}

/** The security groups the launchers give the task, matched to the app's security group constructs. */
export function launcherSecurityGroups(launchers: readonly EcsLauncher[], index: AppIndex): ec2.ISecurityGroup[] {
  const groups = new Set<ec2.ISecurityGroup>();
  for (const { stack, ecsParameters } of launchers) {
    const network = objectField(ecsParameters, 'NetworkConfiguration');
    const vpc = network.kind === 'known' ? objectField(network.value, 'AwsvpcConfiguration') : network;
    const ids = vpc.kind === 'known' ? field(vpc.value, 'SecurityGroups') : undefined;
    const rendered = Array.isArray(ids) ? ids.map((id) => JSON.stringify(id)) : [];
    for (const group of index.securityGroups) {
      if (rendered.includes(JSON.stringify(stack.resolve(group.securityGroupId)))) {
        groups.add(group);
      }
    }
  }
  return [...groups];
}

/** A standalone task definition's worst case from the EventBridge targets in the app that run it. */
export function gatherEcsTaskFacts(taskDefinition: ecs.TaskDefinition, maxConcurrentRuns: number, tasksPerRunBound: number | undefined, index: AppIndex): ShapeFacts<EcsTaskShape> {
  return ecsTaskShape({
    path: taskDefinition.node.path,
    launchers: ecsLaunchersOf(taskDefinition, index),
    maxConcurrentRuns,
    tasksPerRunBound,
  });
}
