import { LedgerJson, LedgerResourceJson, LedgerSourceJson } from '../budget';
import { alternatives, listItems, literalsIn, literalText, wordPattern } from './intrinsics';
import { identity, record, StackTemplate, TemplateResource, TemplateSet, textIdentity } from './template-set';
import { field } from './values';

/** Types of the resources a budget reads. */
export const TYPES = {
  service: 'AWS::ECS::Service',
  taskDefinition: 'AWS::ECS::TaskDefinition',
  function: 'AWS::Lambda::Function',
  scalableTarget: 'AWS::ApplicationAutoScaling::ScalableTarget',
  rule: 'AWS::Events::Rule',
  schedule: 'AWS::Scheduler::Schedule',
  pipe: 'AWS::Pipes::Pipe',
  dbInstance: 'AWS::RDS::DBInstance',
  dbCluster: 'AWS::RDS::DBCluster',
  parameterGroup: 'AWS::RDS::DBParameterGroup',
  clusterParameterGroup: 'AWS::RDS::DBClusterParameterGroup',
  proxy: 'AWS::RDS::DBProxy',
  proxyTargetGroup: 'AWS::RDS::DBProxyTargetGroup',
  proxyEndpoint: 'AWS::RDS::DBProxyEndpoint',
  securityGroup: 'AWS::EC2::SecurityGroup',
  ingress: 'AWS::EC2::SecurityGroupIngress',
  egress: 'AWS::EC2::SecurityGroupEgress',
  secretAttachment: 'AWS::SecretsManager::SecretTargetAttachment',
} as const;

/** A resource the ledger names, or why the templates do not have it. */
export type Located =
  | { readonly kind: 'found'; readonly resource: TemplateResource }
  | { readonly kind: 'stack-missing'; readonly stack: string }
  | { readonly kind: 'resource-missing'; readonly where: string };

/** Finds a resource a ledger names. */
export function locate(set: TemplateSet, location: LedgerResourceJson): Located {
  const stack = set.stack(location);
  if (!stack) {
    return { kind: 'stack-missing', stack: location.stack };
  }
  const resource = set.resourcesOf(stack).get(location.logicalId);
  return resource ? { kind: 'found', resource } : { kind: 'resource-missing', where: `logical ID '${location.logicalId}' in stack '${location.stack}'` };
}

/**
 * The identity of a source the ledger recorded, comparable with what rules say: a security group (a group
 * construct's ID, or a `Peer.securityGroupId` peer), or an address (`cidr:…`, `cidr6:…`, `prefix-list:…`).
 */
export function sourceIdentity(set: TemplateSet, source: LedgerSourceJson): string | undefined {
  const stack = set.stack(source);
  const peerGroup = field(source.value, 'SourceSecurityGroupId');
  if (peerGroup !== undefined) {
    return stack ? set.identityOf(stack, peerGroup) : literalIdentity(peerGroup);
  }
  const address = addressIdentity(set, stack, source.value);
  if (address !== undefined) return address;
  return stack ? set.identityOf(stack, source.value) : literalIdentity(source.value);
}

/** The identity of an address peer written `{ CidrIp }` (either case), literal or a reference; undefined for anything else. */
export function addressIdentity(set: TemplateSet, stack: StackTemplate | undefined, value: unknown): string | undefined {
  for (const [name, kind] of [['CidrIp', 'cidr'], ['CidrIpv6', 'cidr6'], ['SourcePrefixListId', 'prefix-list']] as const) {
    const address = field(value, name);
    if (address === undefined) continue;
    const id = stack ? set.identityOf(stack, address) : literalIdentity(address);
    return id === undefined ? undefined : `${kind}:${id}`;
  }
  return undefined;
}

/** The identity of a literal value (a security group ID written as text), as references to the same literal get. */
export function literalIdentity(value: unknown): string | undefined {
  const text = literalText(value);
  return text === undefined ? undefined : textIdentity(text);
}

/**
 * The instances of a cluster: every DBInstance whose DBClusterIdentifier refers to it, or names it (RDS compares
 * identifiers without case): a failover can promote any of them.
 */
export function clusterInstances(set: TemplateSet, cluster: TemplateResource): TemplateResource[] {
  const id = identity(cluster);
  const name = literalText(field(cluster.properties, 'DBClusterIdentifier'))?.toLowerCase();
  return set.all(TYPES.dbInstance).filter((i) => {
    const value = field(i.properties, 'DBClusterIdentifier');
    return set.identityOf(i.stack, value) === id || (name !== undefined && literalText(value)?.toLowerCase() === name);
  });
}

/** The resource a property refers to (a parameter group, a task definition), when it is in the templates. */
export function referenced(set: TemplateSet, from: TemplateResource, value: unknown, type?: string): TemplateResource | undefined {
  const targets = set.targets(from.stack, value);
  const found = targets.length === 1 && targets[0].kind === 'resource' ? targets[0].resource : undefined;
  return found && (type === undefined || found.type === type) ? found : undefined;
}

/**
 * Whether a value (a target's TaskDefinitionArn, a state machine's definition) may run a task definition: it refers
 * to it, or writes its family name as text (`nightly-job`, `nightly-job:3`, an ARN ending `task-definition/nightly-job`).
 */
export function namesTaskDefinition(set: TemplateSet, stack: StackTemplate, value: unknown, task: TemplateResource): boolean {
  if (set.identitiesIn(stack, value).includes(identity(task))) return true;
  const family = familyPattern(task);
  return family !== undefined && literalsIn(value).some((text) => family.pattern.test(text));
}

/** A task definition's literal family (its name, and as a word inside larger text); undefined when its family is not literal. */
export function familyPattern(task: TemplateResource): { readonly name: string; readonly pattern: RegExp } | undefined {
  // Built once per task definition, the pattern only when asked (TaskRuns matches most families as words).
  if (!familyPatterns.has(task)) {
    const family = literalText(field(task.properties, 'Family'));
    let pattern: RegExp | undefined;
    familyPatterns.set(task, family === undefined ? undefined : { name: family, get pattern() { return pattern ??= wordPattern(family); } });
  }
  return familyPatterns.get(task);
}

const familyPatterns = new WeakMap<TemplateResource, { readonly name: string; readonly pattern: RegExp } | undefined>();

/**
 * Identities of the security groups listed in a property (an array of IDs), whichever way its conditions go. A list
 * made only at deploy (`Fn::Split`, a List parameter) may hold any group it refers to.
 */
export function groupIdentities(set: TemplateSet, from: TemplateResource, list: unknown): string[] {
  const { items, computed } = listItems(list);
  return [...new Set([
    ...items.flatMap((id) => set.identityOf(from.stack, id) ?? []),
    ...computed.flatMap((value) => set.identitiesIn(from.stack, value)),
  ])];
}

/** The security groups a compute resource is placed in, by type. */
export function attachedGroups(set: TemplateSet, resource: TemplateResource): string[] {
  const props = resource.properties;
  switch (resource.type) {
    case TYPES.service:
      return groupIdentities(set, resource, field(field(field(props, 'NetworkConfiguration'), 'AwsvpcConfiguration'), 'SecurityGroups'));
    case TYPES.function:
      return groupIdentities(set, resource, field(field(props, 'VpcConfig'), 'SecurityGroupIds'));
    case TYPES.proxy:
      return groupIdentities(set, resource, field(props, 'VpcSecurityGroupIds'));
    case TYPES.dbInstance:
      return groupIdentities(set, resource, field(props, 'VPCSecurityGroups'));
    case TYPES.dbCluster:
      return groupIdentities(set, resource, field(props, 'VpcSecurityGroupIds'));
    default:
      return [];
  }
}

/** The security groups an EventBridge target's EcsParameters give the task. */
export function ecsParametersGroups(set: TemplateSet, from: TemplateResource, ecsParameters: unknown): string[] {
  return groupIdentities(set, from, field(field(field(ecsParameters, 'NetworkConfiguration'), 'AwsVpcConfiguration'), 'SecurityGroups'));
}

/** One ECS target of a rule or schedule: its parameters, and where it is for messages. */
export interface EcsTarget {
  readonly resource: TemplateResource;
  /** `target 'Target0'` of a rule; empty for a schedule's single target. */
  readonly label: string;
  /** The whole target object, to search for references. */
  readonly target: unknown;
  readonly ecsParameters: unknown;
}

/**
 * The targets of every EventBridge rule, schedule and pipe in the set that carry ECS parameters (or refer to anything,
 * for membership), whichever way the template's conditions go: a target (or its parameters) written as an `Fn::If`
 * counts once per branch.
 */
export function eventTargets(set: TemplateSet): EcsTarget[] {
  const targets: EcsTarget[] = [];
  const add = (resource: TemplateResource, label: string, target: unknown, ecsParameters: unknown) => {
    for (const parameters of alternatives(ecsParameters)) targets.push({ resource, label, target, ecsParameters: parameters });
  };
  for (const rule of set.all(TYPES.rule)) {
    const { items, computed } = listItems(field(rule.properties, 'Targets'));
    for (const target of [...items, ...computed]) {
      const id = field(target, 'Id');
      add(rule, ` (target '${typeof id === 'string' ? id : '?'}')`, target, field(target, 'EcsParameters'));
    }
  }
  for (const schedule of set.all(TYPES.schedule)) {
    for (const target of alternatives(field(schedule.properties, 'Target'))) add(schedule, '', target, field(target, 'EcsParameters'));
  }
  // An EventBridge Pipe's ECS target: the same parameters, under TargetParameters.
  for (const pipe of set.all(TYPES.pipe)) {
    const target = field(pipe.properties, 'TargetParameters');
    add(pipe, '', pipe.properties, field(target, 'EcsTaskParameters'));
  }
  return targets;
}

/** Every ledger in a set of templates, with the stack it is stored in. */
export function storedLedgers(set: TemplateSet, prefix: string): Array<{ key: string; value: unknown; file: string }> {
  return set.stacks.flatMap((stack) => Object.entries(record(stack.template.Metadata))
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, value]) => ({ key: key.slice(prefix.length), value, file: stack.file })));
}

/** The stored ledger's inputs, asserted present (a version 2 ledger). */
export function inputsOf(ledger: LedgerJson): NonNullable<LedgerJson['inputs']> {
  if (!ledger.inputs) {
    throw new Error(`the ledger of '${ledger.budgetPath}' has no inputs`);
  }
  return ledger.inputs;
}
