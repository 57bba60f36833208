import { aws_ec2 as ec2, Stack } from 'aws-cdk-lib';
import { UnbudgetedIngress } from '../budget';
import { AppIndex } from './app-index';
import { numberValue, resolved } from './template-values';

/** A proxy or database whose security groups only budgeted clients may reach. */
export interface IngressTarget {
  readonly path: string;
  readonly groups: readonly ec2.ISecurityGroup[];
  /** The port clients connect to; undefined when unknown until deploy (then every rule counts). */
  readonly port?: number;
}

/** Who may reach the targets: the security groups and address peers of consumers, reservations and the proxy. */
export interface AllowedSources {
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  readonly peers: readonly ec2.IPeer[];
}

/** The source fields of an ingress rule, as the L1 holds them. */
interface RuleSource {
  readonly sourceSecurityGroupId?: unknown;
  readonly cidrIp?: unknown;
  readonly cidrIpv6?: unknown;
  readonly sourcePrefixListId?: unknown;
  readonly ipProtocol?: unknown;
  readonly fromPort?: unknown;
  readonly toPort?: unknown;
}

/**
 * Every security group rule that opens a target to a source the budget does not count. Rules are read
 * from the L1 resources: AWS::EC2::SecurityGroupIngress anywhere in the app (CDK writes every rule from
 * another security group that way), and the inline ingress of the targets' own security groups
 * (address peers). Values are compared as each rule's stack renders them.
 */
export function findUnbudgetedIngress(targets: readonly IngressTarget[], allowed: AllowedSources, index: AppIndex): UnbudgetedIngress[] {
  const found: UnbudgetedIngress[] = [];
  for (const target of targets) {
    for (const group of target.groups) {
      const inStack = (stack: Stack) => {
        const render = (value: unknown) => JSON.stringify(stack.resolve(value));
        const groupIds = new Set([group, ...allowed.securityGroups].map((g) => render(g.securityGroupId)));
        const peers = new Set(allowed.peers.map((p) => render(p.toIngressRuleConfig())));
        return { render, groupIds, peers };
      };
      const judge = (rulePath: string, stack: Stack, rule: RuleSource) => {
        const ports = portsOf(rule, stack);
        if (target.port !== undefined && !ports.covers(target.port)) return;
        const { render, groupIds, peers } = inStack(stack);
        if (rule.sourceSecurityGroupId !== undefined) {
          if (!groupIds.has(render(rule.sourceSecurityGroupId))) {
            found.push({ rulePath, targetPath: target.path, source: describeGroup(rule.sourceSecurityGroupId, stack, index), ports: ports.text });
          }
          return;
        }
        const config = Object.fromEntries(['cidrIp', 'cidrIpv6', 'sourcePrefixListId']
          .filter((key) => rule[key as keyof RuleSource] !== undefined)
          .map((key) => [key, rule[key as keyof RuleSource]]));
        if (!peers.has(render(config))) {
          found.push({ rulePath, targetPath: target.path, source: Object.values(stack.resolve(config)).map(String).join(', '), ports: ports.text });
        }
      };

      for (const rule of index.ingressRules) {
        const stack = Stack.of(rule);
        // A reference renders the same way twice in one stack: a GetAtt in the group's stack, an import elsewhere.
        if (JSON.stringify(stack.resolve(rule.groupId)) === JSON.stringify(stack.resolve(group.securityGroupId))) {
          judge(rule.node.path, stack, rule);
        }
      }
      const l1 = group.node.defaultChild;
      if (l1 instanceof ec2.CfnSecurityGroup) {
        const inline = resolved(l1, l1.securityGroupIngress);
        for (const rule of Array.isArray(inline) ? inline as RuleSource[] : []) {
          judge(group.node.path, Stack.of(l1), rule);
        }
      }
    }
  }
  return found;
}

function portsOf(rule: RuleSource, stack: Stack): { covers: (port: number) => boolean; text: string } {
  const protocol = String(stack.resolve(rule.ipProtocol));
  if (protocol === '-1' || protocol === 'all') {
    return { covers: () => true, text: 'all ports' };
  }
  const from = numberValue(stack.resolve(rule.fromPort));
  const to = numberValue(stack.resolve(rule.toPort));
  if (from.kind !== 'known' || to.kind !== 'known') {
    return { covers: () => true, text: 'ports unknown until deploy' };
  }
  const tcp = protocol === 'tcp' || protocol === '6';
  return {
    covers: (port) => tcp && from.value <= port && port <= to.value,
    text: from.value === to.value ? `port ${from.value}` : `ports ${from.value}-${to.value}`,
  };
}

function describeGroup(id: unknown, stack: Stack, index: AppIndex): string {
  const rendered = JSON.stringify(stack.resolve(id));
  const group = index.securityGroups.find((g) => JSON.stringify(stack.resolve(g.securityGroupId)) === rendered);
  return group ? `security group '${group.node.path}'` : `security group ${rendered}`;
}
