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
 * (address peers). Values are compared as each rule's stack renders them: a reference renders the
 * same way twice in one stack (a GetAtt in the group's stack, an import elsewhere).
 */
export function findUnbudgetedIngress(targets: readonly IngressTarget[], allowed: AllowedSources, index: AppIndex): UnbudgetedIngress[] {
  // The targets' own groups are allowed too: the proxy reaches the database, and a group may reference itself.
  const allowedGroups = [...allowed.securityGroups, ...targets.flatMap((t) => t.groups)];
  const allowedRaw = new Set<unknown>(allowedGroups.map((g) => g.securityGroupId));
  const renderedAllowed = new Map<Stack, { groups: Set<string>; peers: Set<string> }>();
  const allowedIn = (stack: Stack) => {
    let sets = renderedAllowed.get(stack);
    if (!sets) {
      sets = {
        groups: new Set(allowedGroups.map((g) => render(stack, g.securityGroupId))),
        peers: new Set(allowed.peers.map((p) => render(stack, p.toIngressRuleConfig()))),
      };
      renderedAllowed.set(stack, sets);
    }
    return sets;
  };

  const found: UnbudgetedIngress[] = [];
  const judge = (target: IngressTarget, rulePath: string, stack: Stack, rule: RuleSource) => {
    const ports = portsOf(rule, stack);
    if (target.port !== undefined && !ports.covers(target.port)) return;
    if (rule.sourceSecurityGroupId !== undefined) {
      // Fast path: a rule made with a group's own securityGroupId holds the same token (or literal) string.
      if (allowedRaw.has(rule.sourceSecurityGroupId as string)) return;
      if (!allowedIn(stack).groups.has(render(stack, rule.sourceSecurityGroupId))) {
        found.push({ rulePath, targetPath: target.path, source: describeGroup(rule.sourceSecurityGroupId, stack, index), ports: ports.text });
      }
      return;
    }
    const address = { cidrIp: rule.cidrIp, cidrIpv6: rule.cidrIpv6, sourcePrefixListId: rule.sourcePrefixListId };
    if (!allowedIn(stack).peers.has(render(stack, address))) {
      found.push({ rulePath, targetPath: target.path, source: Object.values(stack.resolve(address)).map(String).join(', '), ports: ports.text });
    }
  };

  // A rule's group is compared as written first; rendered (once, in its own stack) only when that differs.
  const rules = index.ingressRules.map((rule) => {
    const stack = Stack.of(rule);
    let rendered: string | undefined;
    return { rule, stack, groupId: () => (rendered ??= render(stack, rule.groupId)) };
  });
  for (const target of targets) {
    for (const group of target.groups) {
      const renderedGroup = new Map<Stack, string>();
      for (const { rule, stack, groupId } of rules) {
        if (rule.groupId === group.securityGroupId) {
          judge(target, rule.node.path, stack, rule);
          continue;
        }
        let id = renderedGroup.get(stack);
        if (id === undefined) {
          id = render(stack, group.securityGroupId);
          renderedGroup.set(stack, id);
        }
        if (groupId() === id) {
          judge(target, rule.node.path, stack, rule);
        }
      }
      const l1 = group.node.defaultChild;
      if (l1 instanceof ec2.CfnSecurityGroup) {
        const inline = resolved(l1, l1.securityGroupIngress);
        for (const rule of Array.isArray(inline) ? inline as RuleSource[] : []) {
          judge(target, group.node.path, Stack.of(l1), rule);
        }
      }
    }
  }
  return found;
}

/** A value as `stack` renders it, comparable as a string; undefined fields drop out. */
function render(stack: Stack, value: unknown): string {
  return JSON.stringify(stack.resolve(value));
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
  const rendered = render(stack, id);
  const group = index.securityGroups.find((g) => render(stack, g.securityGroupId) === rendered);
  return group ? `security group '${group.node.path}'` : `security group ${rendered}`;
}
