import { aws_ec2 as ec2, Lazy } from 'aws-cdk-lib';
import { ConsumerBinding, ConsumerProblem } from './binding';

/** The L1 property each consumer kind lists its security groups in. */
const GROUP_PROPERTY: Readonly<Record<string, string>> = {
  'ecs-service': 'NetworkConfiguration.AwsvpcConfiguration.SecurityGroups',
  'lambda-function': 'VpcConfig.SecurityGroupIds',
};

/**
 * Places a consumer in a security group another app owns (an allocation's client group): the L1's list of groups gets
 * it beside the consumer's own, read when the template is written so groups added later stay. A scheduled task's groups
 * are its launcher's, which the budget cannot change: the launcher must list the group itself.
 */
export function placeInGroup(binding: ConsumerBinding, group: ec2.ISecurityGroup): void {
  const ids = () => binding.securityGroups.map((g) => g.securityGroupId);
  if (ids().includes(group.securityGroupId) || placed.get(binding.resource)?.has(group.securityGroupId)) {
    return;
  }
  const property = GROUP_PROPERTY[binding.kind];
  if (!property) {
    throw new ConsumerProblem(`its security groups are those of whatever runs it, and none of them is the allocation's client security group `
      + `(${group.securityGroupId}); add allocationClientSecurityGroup to the securityGroups of the rule target (or pass securityGroups), `
      + 'and register the task after the rule that runs it.');
  }
  binding.resource.addPropertyOverride(property, Lazy.list({ produce: () => [...ids(), group.securityGroupId] }));
  placed.set(binding.resource, new Set([...(placed.get(binding.resource) ?? []), group.securityGroupId]));
}

/** The groups a resource was placed in, so a second container or pool set of the same service does not place it twice. */
const placed = new WeakMap<object, Set<string>>();
