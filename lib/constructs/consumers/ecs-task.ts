import { aws_ecs as ecs, Stack } from 'aws-cdk-lib';
import { MAX_COUNT } from '../../budget';
import { AppIndex } from '../../private/app-index';
import { ecsLaunchersOf, gatherEcsTaskFacts, launcherSecurityGroups } from '../../private/ecs-task-facts';
import { EcsTaskConsumerOptions } from '../consumer-options';
import { ConsumerBinding, ConsumerProblem, connectionShape } from './binding';
import { separateNetworkProblem } from './ecs-network';
import { containerConsumerPath, containerHolder, containerOf } from './ecs-container';
import { consumerOptionProblems } from './options';
import { pathOf } from '../../private/validation';

/** A standalone ECS task definition (a scheduled job, a task Step Functions or RunTask starts) as a consumer. */
export function bindEcsTask(taskDefinition: ecs.TaskDefinition, options: EcsTaskConsumerOptions, index: () => AppIndex): ConsumerBinding {
  if (!(taskDefinition instanceof ecs.TaskDefinition) || !(taskDefinition.node.defaultChild instanceof ecs.CfnTaskDefinition)) {
    throw new ConsumerProblem(`'${pathOf(taskDefinition)}' is not an ECS task definition defined in this app; `
      + 'register the task definition where it is defined.');
  }
  const problems = consumerOptionProblems(options, 'EcsTaskConsumerOptions', [
    ['maxConcurrentRuns', options.maxConcurrentRuns, 1, MAX_COUNT],
    ['tasksPerRun', options.tasksPerRun, 1, MAX_COUNT],
    ['processesPerTask', options.processesPerTask, 1, MAX_COUNT],
  ]);
  if (options.maxConcurrentRuns === undefined) {
    problems.unshift('maxConcurrentRuns is required: the most runs that can overlap (a run that outlives its schedule overlaps the next)');
  }
  if (problems.length > 0) {
    throw new ConsumerProblem(`invalid options:\n- ${problems.join('\n- ')}`);
  }
  const separate = separateNetworkProblem(taskDefinition);
  if (separate) {
    throw new ConsumerProblem(separate);
  }
  const container = containerOf(taskDefinition, options.containerName);
  const securityGroups = options.securityGroups ?? launcherSecurityGroups(ecsLaunchersOf(taskDefinition, index()), index());
  if (securityGroups.length === 0) {
    throw new ConsumerProblem('no security group to grant ingress to: no EventBridge target in the app runs the task definition with one. '
      + 'Pass securityGroups (the ones its launcher uses), or register the task after the rule that runs it.');
  }
  return {
    path: containerConsumerPath(taskDefinition.node.path, taskDefinition, container),
    resourcePath: taskDefinition.node.path,
    kind: 'ecs-task',
    options,
    connections: connectionShape(options, options.processesPerTask),
    securityGroups,
    holder: containerHolder(container),
    grantee: taskDefinition.taskRole,
    resource: taskDefinition.node.defaultChild,
    container: container.containerName,
    bounds: { maxConcurrentRuns: options.maxConcurrentRuns, tasksPerRun: options.tasksPerRun },
    stack: Stack.of(taskDefinition),
    gather: (appIndex) => gatherEcsTaskFacts(taskDefinition, options.maxConcurrentRuns, options.tasksPerRun, appIndex),
  };
}
