import { aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import { ConsumerBinding, ConsumerProblem } from './binding';

/** Where each consumer kind's L1 lists its security groups: the override's path, and the list as the L1 holds it now. */
const GROUP_LISTS: Readonly<Record<string, { readonly property: string; readonly current: (l1: CfnResource) => unknown }>> = {
  'ecs-service': {
    property: 'NetworkConfiguration.AwsvpcConfiguration.SecurityGroups',
    current: (l1) => (Stack.of(l1).resolve((l1 as ecs.CfnService).networkConfiguration) as { awsvpcConfiguration?: { securityGroups?: unknown } } | undefined)
      ?.awsvpcConfiguration?.securityGroups,
  },
  'lambda-function': {
    property: 'VpcConfig.SecurityGroupIds',
    current: (l1) => (Stack.of(l1).resolve((l1 as lambda.CfnFunction).vpcConfig) as { securityGroupIds?: unknown } | undefined)?.securityGroupIds,
  },
};

/**
 * Places a consumer in a security group another app owns (an allocation's client group): the L1's list of groups gets
 * it beside the consumer's own, read from the L1 when the template is written, so a list changed on the L1 later stays.
 * A scheduled task's groups are its launcher's, which the budget cannot change: the launcher must list the group itself.
 */
export function placeInGroup(binding: ConsumerBinding, group: ec2.ISecurityGroup): void {
  if (binding.securityGroups.some((g) => g.securityGroupId === group.securityGroupId) || placed.get(binding.resource)?.has(group.securityGroupId)) {
    return;
  }
  const list = GROUP_LISTS[binding.kind];
  if (!list) {
    throw new ConsumerProblem(`its security groups are those of whatever runs it, and none of them is the allocation's client security group `
      + `(${group.securityGroupId}); add allocationClientSecurityGroup to the securityGroups of the rule target (or pass securityGroups), `
      + 'and register the task after the rule that runs it.');
  }
  binding.resource.addPropertyOverride(list.property, Lazy.any({
    produce: () => {
      const current = list.current(binding.resource);
      return [...(Array.isArray(current) ? current : []), group.securityGroupId];
    },
  }));
  placed.set(binding.resource, new Set([...(placed.get(binding.resource) ?? []), group.securityGroupId]));
}

/** The groups a resource was placed in, so a second container or pool set of the same service does not place it twice. */
const placed = new WeakMap<object, Set<string>>();
