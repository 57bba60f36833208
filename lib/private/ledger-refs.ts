import { aws_ec2 as ec2, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LedgerResourceJson, LedgerSourceJson } from '../budget';

/** Where an L1 is in the templates: its stack's path and name, and its logical ID (resolved at synthesis). */
export function resourceRef(l1: CfnResource): LedgerResourceJson {
  const stack = Stack.of(l1);
  return { stack: stack.node.path, stackName: stack.resolve(stack.stackName), logicalId: stack.resolve(l1.logicalId) };
}

/** A value as the stack of `scope` renders it, with where that stack is. */
export function sourceIn(scope: IConstruct, value: unknown): LedgerSourceJson {
  const stack = Stack.of(scope);
  return { stack: stack.node.path, stackName: stack.resolve(stack.stackName), value: stack.resolve(value) };
}

/** A security group's ID as its own stack renders it (a reference there, a literal for an imported group). */
export function groupSource(group: ec2.ISecurityGroup): LedgerSourceJson {
  return sourceIn(group, group.securityGroupId);
}

/** An address peer (a CIDR range, a prefix list) as rule properties: `{ cidrIp }`. */
export function peerSource(scope: IConstruct, peer: ec2.IPeer): LedgerSourceJson {
  return sourceIn(scope, peer.toIngressRuleConfig());
}
