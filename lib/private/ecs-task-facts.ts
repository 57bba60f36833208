import { aws_ec2 as ec2, aws_ecs as ecs, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EcsTaskShape } from '../budget';
import { ShapeFacts } from '../template/ecs-service-shape';
import { ecsTaskShape } from '../template/ecs-task-shape';
import { alternatives, listItems, literalsIn, wordPattern } from '../template/intrinsics';
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

/**
 * Every EventBridge rule target, schedule and pipe in the app whose ECS parameters run `taskDefinition` (by reference,
 * or by its family name in an ARN), once per branch of the template's conditions: what the verification reads too.
 */
export function ecsLaunchersOf(taskDefinition: ecs.TaskDefinition, index: AppIndex): EcsLauncher[] {
  const found: EcsLauncher[] = [];
  const family = Token.isUnresolved(taskDefinition.family) ? undefined : wordPattern(taskDefinition.family);
  const runs = (stack: Stack, arn: unknown): boolean => JSON.stringify(arn) === JSON.stringify(stack.resolve(taskDefinition.taskDefinitionArn))
    || (family !== undefined && literalsIn(arn).some((text) => family.test(text)));
  const add = (l1: IConstruct, parameters: unknown) => {
    const stack = Stack.of(l1);
    for (const branch of alternatives(parameters)) {
      const known = objectValue(branch);
      if (known.kind === 'known' && runs(stack, field(known.value, 'TaskDefinitionArn'))) found.push({ path: ownerPath(l1), stack, ecsParameters: known.value });
    }
  };
  for (const rule of index.rules) {
    const { items, computed } = listItems(resolved(rule, rule.targets));
    for (const target of [...items, ...computed]) add(rule, field(target, 'EcsParameters'));
  }
  for (const schedule of index.schedules) {
    for (const target of alternatives(resolved(schedule, schedule.target))) add(schedule, field(target, 'EcsParameters'));
  }
  for (const pipe of index.pipes) {
    add(pipe, field(resolved(pipe, pipe.targetParameters), 'EcsTaskParameters'));
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
    const rendered = listItems(ids).items.map((id) => JSON.stringify(id));
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
