import { aws_ecs as ecs } from 'aws-cdk-lib';

/**
 * Why a task definition's tasks cannot be told from other clients: in bridge or host networking every task on an
 * instance shares the instance's security group, so ingress for one is ingress for all of them. Undefined for awsvpc.
 */
export function separateNetworkProblem(taskDefinition: ecs.TaskDefinition): string | undefined {
  const mode = taskDefinition.networkMode;
  if (mode === ecs.NetworkMode.AWS_VPC) {
    return undefined;
  }
  return `the task definition '${taskDefinition.node.path}' uses ${mode} networking, so its tasks share the instances' security group with every `
    + 'other task on them and the budget cannot tell their connections from others\'; use awsvpc networking (networkMode: NetworkMode.AWS_VPC), '
    + 'which gives the tasks a security group of their own.';
}
