import { describeRange, UnbudgetedIngress } from '../../budget';
import { addressIdentity, TYPES } from '../budget-resources';
import { listItems } from '../intrinsics';
import { identity, TemplateResource, TemplateSet } from '../template-set';
import { describeValue, field, numberValue } from '../values';
import { dedupe, describeIdentity, Guarded, Placement } from './placement';

/**
 * Security group rules that let a source reach the proxy or the database although it is neither a counted client
 * of that route, nor the proxy or database itself: AWS::EC2::SecurityGroupIngress anywhere in the templates (nested
 * stacks included), and the inline rules of the guarded security groups. A rule whose group is known only at deploy
 * counts when its port is the proxy's or the database's: it may be theirs.
 */
export function findUnbudgetedIngress(placement: Placement): UnbudgetedIngress[] {
  const { set } = placement;
  const guardedIds = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  const found: UnbudgetedIngress[] = [];
  const judge = (guarded: Guarded, rulePath: string, from: TemplateResource, rule: unknown, uncertain?: string) => {
    const ports = portsOf(set, from, rule, guardedIds);
    if (guarded.port !== undefined && !ports.covers(guarded.port)) return false;
    const sourceGroup = field(rule, 'SourceSecurityGroupId') ?? field(rule, 'SourceSecurityGroupName');
    const source = sourceGroup !== undefined ? set.identityOf(from.stack, sourceGroup) : addressIdentity(set, from.stack, rule);
    if (source !== undefined && guarded.allowed.has(source)) return false;
    const text = sourceGroup !== undefined
      ? (source === undefined ? `security group ${describeValue(sourceGroup)} (unknown until deploy)` : describeIdentity(set, source))
      : addressText(rule);
    found.push({ rulePath, targetPath: guarded.path, source: text, ports: ports.text, uncertain });
    return true;
  };
  for (const rule of set.all(TYPES.ingress)) {
    const groupValue = field(rule.properties, 'GroupId');
    const group = set.identityOf(rule.stack, groupValue);
    if (group !== undefined) {
      for (const guarded of placement.guarded.filter((g) => g.groups.has(group))) judge(guarded, set.ruleOf(rule), rule, rule.properties);
    } else {
      const unknown = set.targets(rule.stack, groupValue).flatMap((t) => (t.kind === 'unknown' ? [t.text] : [])).join(', ') || 'a value known only at deploy';
      placement.guarded.some((guarded) => judge(guarded, set.ruleOf(rule), rule, rule.properties, unknown));
    }
  }
  for (const guarded of placement.guarded) {
    for (const group of set.all(TYPES.securityGroup)) {
      if (!guarded.groups.has(identity(group))) continue;
      // Every branch of a conditional list of rules may deploy; a list made only at deploy may open anything.
      const inline = listItems(field(group.properties, 'SecurityGroupIngress'));
      for (const rule of inline.items) judge(guarded, set.pathOf(group), group, rule);
      if (inline.computed.length > 0) {
        found.push({ rulePath: set.pathOf(group), targetPath: guarded.path, source: 'the sources of inline rules made only at deploy', ports: 'ports known only at deploy' });
      }
    }
  }
  return dedupe(found, (f) => `${f.rulePath}|${f.targetPath}|${f.source}`);
}

/** The ports a rule opens; a port that refers to a guarded resource (its endpoint's port) is that resource's. */
function portsOf(set: TemplateSet, owner: TemplateResource, rule: unknown, guardedIds: ReadonlySet<string>): { covers: (port: number) => boolean; text: string } {
  // EC2 stores protocols in lower case; CloudFormation takes any case. A protocol known only at deploy may be TCP.
  const raw = field(rule, 'IpProtocol');
  const protocol = typeof raw === 'string' || typeof raw === 'number' ? String(raw).toLowerCase() : undefined;
  if (protocol === undefined) {
    return { covers: () => true, text: 'a protocol and ports known only at deploy' };
  }
  if (protocol === '-1' || protocol === 'all') {
    return { covers: () => true, text: 'all ports' };
  }
  const tcp = protocol === 'tcp' || protocol === '6';
  const fromValue = field(rule, 'FromPort');
  const from = numberValue(fromValue);
  const to = numberValue(field(rule, 'ToPort'));
  if (from.kind !== 'known' || to.kind !== 'known') {
    // CDK writes a database's rules with its endpoint's port (Endpoint.Port), known only at deploy.
    const ownPort = set.targets(owner.stack, fromValue).some((t) => t.kind === 'resource' && guardedIds.has(identity(t.resource)));
    return { covers: () => tcp, text: ownPort ? 'the port of the database it refers to' : 'ports unknown until deploy' };
  }
  return {
    covers: (port) => tcp && from.value <= port && port <= to.value,
    text: from.value === to.value ? `port ${from.value}` : `ports ${from.value}-${to.value}`,
  };
}

/** `10.0.0.0/8`, `0.0.0.0/0 (every IPv4 address)`, or what an address peer is when it is a reference. */
function addressText(rule: unknown): string {
  const text = ['CidrIp', 'CidrIpv6', 'SourcePrefixListId'].map((n) => field(rule, n)).filter((v) => v !== undefined)
    .map((v) => (typeof v === 'string' ? describeRange(v) : describeValue(v))).join(', ');
  return text || 'a source the rule does not name';
}
