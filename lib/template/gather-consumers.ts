import { ConsumerInput, LedgerConsumerJson, UnresolvedValue } from '../budget';
import { attachedGroups, EcsTarget, ecsParametersGroups, eventTargets, familyPattern, locate, namesTaskDefinition, referenced, TYPES } from './budget-resources';
import { ECS_DESIRED_COUNT_DIMENSION, ecsServiceShape } from './ecs-service-shape';
import { ecsTaskShape } from './ecs-task-shape';
import { Missing } from './gather-capacity';
import { literalText, PLACEHOLDER, textWithPlaceholders } from './intrinsics';
import { lambdaShape } from './lambda-shape';
import { TemplateResource, TemplateSet } from './template-set';
import { field, stringValue } from './values';

/**
 * A consumer as its budget stored it: a stored ledger's entry, or one assembled from records, with the pool settings
 * the budget delivers (rebuilt from the templates for records, which store none).
 */
export type StoredConsumer = Pick<LedgerConsumerJson, 'path' | 'kind' | 'route' | 'connections' | 'inputs'> & {
  readonly pool: Pick<LedgerConsumerJson['pool'], 'request'>;
  readonly poolSettings: Pick<LedgerConsumerJson['poolSettings'], 'variables'>;
};

/** A consumer as the templates deploy it, with what the hole checks need. */
export interface GatheredConsumer {
  readonly stored: StoredConsumer;
  readonly input: ConsumerInput;
  /** The service, task definition or function; undefined when the templates lack it. */
  readonly resource?: TemplateResource;
  /** The task definition whose container receives the pool (ECS). */
  readonly taskDefinition?: TemplateResource;
  /** Security groups the consumer's instances are placed in, as the templates deploy them. */
  readonly groups: readonly string[];
  /** For a standalone task: the EventBridge targets that run it. */
  readonly launchers: readonly EcsTarget[];
  /** The resources its shape was read from, for messages. */
  readonly sources: readonly string[];
}

/** Every consumer of a stored ledger, re-read from the templates. */
export function gatherConsumers(consumers: readonly StoredConsumer[], set: TemplateSet, missing: Missing[]): GatheredConsumer[] {
  const targets = eventTargets(set);
  return consumers.map((stored) => {
    const inputs = stored.inputs!;
    const base = { path: stored.path, kind: stored.kind, connections: stored.connections, pool: stored.pool.request, route: stored.route };
    const located = locate(set, inputs.resource);
    if (located.kind !== 'found') {
      missing.push({ what: `the consumer '${stored.path}'`, located });
      return { stored, input: { ...base, unresolved: [] }, groups: [], launchers: [], sources: [] };
    }
    const resource = located.resource;
    const bounds = inputs.bounds;
    if (stored.kind === 'lambda-function') {
      const facts = lambdaShape(stored.path, resource.properties, bounds.maxConcurrency ?? undefined);
      return { stored, input: { ...base, ...facts }, resource, groups: attachedGroups(set, resource), launchers: [], sources: [set.pathOf(resource)] };
    }
    if (stored.kind === 'ecs-task') {
      const launchers = targets.filter((t) => namesTaskDefinition(set, t.resource.stack, field(t.ecsParameters, 'TaskDefinitionArn'), resource));
      const facts = ecsTaskShape({
        path: stored.path,
        launchers: launchers.map((l) => ({ path: set.pathOf(l.resource), ecsParameters: l.ecsParameters })),
        maxConcurrentRuns: bounds.maxConcurrentRuns ?? 0,
        tasksPerRunBound: bounds.tasksPerRun ?? undefined,
      });
      const groups = launchers.flatMap((l) => ecsParametersGroups(set, l.resource, l.ecsParameters));
      return { stored, input: { ...base, ...facts }, resource, taskDefinition: resource, groups, launchers, sources: launchers.map((l) => `${set.pathOf(l.resource)}${l.label}`) };
    }
    const scalableTargets = scalableTargetsOf(set, resource);
    const facts = ecsServiceShape({
      path: stored.path,
      service: resource.properties,
      scalableTargets: scalableTargets.map((t) => ({ path: set.pathOf(t), properties: t.properties })),
      maxTasksBound: bounds.maxTasks ?? undefined,
    });
    const taskDefinitionValue = field(resource.properties, 'TaskDefinition');
    // CDK writes a CODE_DEPLOY service's TaskDefinition as its family. For any other controller ECS takes a family's latest
    // revision at deploy, which need not be one the templates register: that stays unknown.
    const codeDeploy = literalText(field(field(resource.properties, 'DeploymentController'), 'Type')) === 'CODE_DEPLOY';
    const taskDefinition = referenced(set, resource, taskDefinitionValue, TYPES.taskDefinition) ?? (codeDeploy ? byFamily(set, resource, taskDefinitionValue) : undefined);
    // Without its task definition in the templates, the pool settings it deploys cannot be read.
    const unknownTask: UnresolvedValue[] = taskDefinition ? [] : [{
      path: stored.path,
      what: 'task definition',
      why: `its TaskDefinition is ${describeTaskDefinition(set, resource, taskDefinitionValue)}, not one task definition of the app`,
      fix: `Give '${stored.path}' its task definition through the construct (the taskDefinition prop), not an override.`,
    }];
    const sources = [set.pathOf(resource), ...scalableTargets.map((t) => `scalable target '${set.pathOf(t)}'`)];
    return {
      stored, input: { ...base, ...facts, unresolved: [...facts.unresolved, ...unknownTask] }, resource, taskDefinition, groups: attachedGroups(set, resource), launchers: [], sources,
    };
  });
}

/** How an ECS scalable target's ResourceId names its service. */
export type ScalableTargetService =
  | { readonly kind: 'service'; readonly service: TemplateResource }
  | { readonly kind: 'literal'; readonly name: string }
  | { readonly kind: 'unknown'; readonly description: string };

/** The ECS scalable targets of the set (a token dimension may be ECS too), with the service each names. */
export function ecsScalableTargets(set: TemplateSet): ReadonlyArray<{ target: TemplateResource; service: ScalableTargetService }> {
  // Every service looks for its targets: read the set's once, not once per service.
  let found = scalableTargetsBySet.get(set);
  if (!found) {
    found = readEcsScalableTargets(set);
    scalableTargetsBySet.set(set, found);
  }
  return found;
}

const scalableTargetsBySet = new WeakMap<TemplateSet, ReadonlyArray<{ target: TemplateResource; service: ScalableTargetService }>>();

function readEcsScalableTargets(set: TemplateSet): Array<{ target: TemplateResource; service: ScalableTargetService }> {
  return set.all(TYPES.scalableTarget).flatMap((target): Array<{ target: TemplateResource; service: ScalableTargetService }> => {
    const dimension = stringValue(field(target.properties, 'ScalableDimension'));
    if (dimension.kind === 'known' && dimension.value !== ECS_DESIRED_COUNT_DIMENSION) return [];
    const resourceId = field(target.properties, 'ResourceId');
    const services = set.targets(target.stack, resourceId).flatMap((t) => (t.kind === 'resource' && t.resource.type === TYPES.service ? [t.resource] : []));
    if (services.length > 0) {
      return services.map((service) => ({ target, service: { kind: 'service', service } }));
    }
    // `service/<cluster>/<name>`: a literal service name decides, whatever makes the cluster's part.
    const name = literalLastSegment(resourceId);
    if (name !== undefined) {
      return [{ target, service: { kind: 'literal', name } }];
    }
    return [{ target, service: { kind: 'unknown', description: describeResourceId(set, target, resourceId) } }];
  });
}

/** The scalable targets that scale a service: by reference, or by its literal ServiceName. */
function scalableTargetsOf(set: TemplateSet, service: TemplateResource): TemplateResource[] {
  let index = scalableTargetIndexes.get(set);
  if (!index) {
    // Every service asks: index the set's targets once (1,000 services × 1,000 targets took 44 ms of a report).
    index = { byService: new Map(), byName: new Map(), order: new Map() };
    for (const { target, service: named } of ecsScalableTargets(set)) {
      if (!index.order.has(target)) index.order.set(target, index.order.size);
      if (named.kind === 'service') index.byService.set(named.service, [...index.byService.get(named.service) ?? [], target]);
      if (named.kind === 'literal') index.byName.set(named.name, [...index.byName.get(named.name) ?? [], target]);
    }
    scalableTargetIndexes.set(set, index);
  }
  const name = stringValue(field(service.properties, 'ServiceName'));
  const byName = name.kind === 'known' ? index.byName.get(name.value) ?? [] : [];
  const order = index.order;
  return [...new Set([...index.byService.get(service) ?? [], ...byName])].sort((a, b) => order.get(a)! - order.get(b)!);
}

const scalableTargetIndexes = new WeakMap<TemplateSet, {
  readonly byService: Map<TemplateResource, TemplateResource[]>;
  readonly byName: Map<string, TemplateResource[]>;
  /** Each target's place in the set, so a service's targets come in that order. */
  readonly order: Map<TemplateResource, number>;
}>();

/** A ResourceId for a message: its literal parts, and what each reference leads to. */
function describeResourceId(set: TemplateSet, target: TemplateResource, resourceId: unknown): string {
  const unknowns = set.targets(target.stack, resourceId).flatMap((t) => (t.kind === 'unknown' ? [t.text] : [set.pathOf(t.resource)]));
  return unknowns.length > 0 ? `a ResourceId made from ${unknowns.join(', ')}` : `the ResourceId ${JSON.stringify(resourceId)}`;
}

/**
 * The task definition a CODE_DEPLOY service names by its family, as CDK writes it for that controller (`family`, `family:3`
 * or an ARN ending `task-definition/family`): the one of the service's stack with that literal family, else the only one
 * in the set; undefined when none or several could be meant. Any other service naming a family runs whatever revision is
 * latest at deploy, which the templates do not say.
 */
function byFamily(set: TemplateSet, service: TemplateResource, value: unknown): TemplateResource | undefined {
  const text = literalText(value);
  if (text === undefined || literalText(field(field(service.properties, 'DeploymentController'), 'Type')) !== 'CODE_DEPLOY') return undefined;
  const family = text.replace(/^.*:task-definition\//, '').replace(/:\d+$/, '');
  const named = set.all(TYPES.taskDefinition).filter((task) => familyPattern(task)?.name === family);
  const inStack = named.filter((task) => task.stack === service.stack);
  const candidates = inStack.length > 0 ? inStack : named;
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** A service's TaskDefinition for a message: a name, a choice between task definitions, or what it is made from. */
function describeTaskDefinition(set: TemplateSet, service: TemplateResource, value: unknown): string {
  const text = literalText(value);
  if (text !== undefined) return `'${text}'`;
  const targets = set.targets(service.stack, value).map((t) => (t.kind === 'resource' ? `'${set.pathOf(t.resource)}'` : t.text));
  return targets.length > 1 ? `one of ${targets.join(' and ')}, chosen at deploy` : targets.length === 1 ? targets[0] : 'missing';
}

/** The part of a ResourceId after its last `/`, when that part is literal text. */
function literalLastSegment(resourceId: unknown): string | undefined {
  const text = textWithPlaceholders(resourceId);
  if (text === undefined) return undefined;
  const last = text.slice(text.lastIndexOf('/') + 1);
  return last.length > 0 && !last.includes(PLACEHOLDER) ? last : undefined;
}
