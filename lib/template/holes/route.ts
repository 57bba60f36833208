import { MisroutedConsumer, presetVariables, routeVariables } from '../../budget';
import { TYPES } from '../budget-resources';
import { GatheredConsumer } from '../gather-consumers';
import { textWithPlaceholders } from '../intrinsics';
import { identity, StackTemplate, TemplateResource, TemplateSet } from '../template-set';
import { field } from '../values';
import { Actor } from './clients';
import { arrayOf, Guarded, Placement } from './placement';

/**
 * Attributes that give an address to connect to: an instance's or a cluster's endpoints, a proxy's (and a proxy
 * endpoint's), an Aurora custom endpoint's. A port or an identifier of the database is not a route.
 */
const ADDRESS_ATTRIBUTES: ReadonlySet<string> = new Set(['Endpoint.Address', 'ReadEndpoint.Address', 'Endpoint']);

/** A parameter holding an endpoint is followed this deep: a parameter of a parameter is not a pattern apps use. */
const MAX_PARAMETER_DEPTH = 2;

/** Where an address leads: the resources that count as the database, or as the proxy, and the database's secrets. */
interface Entry {
  readonly guard: Guarded;
  readonly resources: readonly TemplateResource[];
  /** Secrets (and their attachments) whose `host` field is this entry's address. */
  readonly secrets: ReadonlySet<string>;
}

/**
 * Consumers whose variables point where the budget does not count them: counted through the proxy, but a variable
 * holds the database's endpoint (the proxy at its ceiling plus this consumer can then exceed max_connections); or
 * counted directly, but a variable holds the proxy's (it takes from the proxy's ceiling, which nothing kept for it).
 * Read: the container's environment and secrets (or the function's environment), through SSM parameters and the
 * database secret's host field, and the container overrides of whatever runs the task.
 */
export function findMisroutedConsumers(placement: Placement, runners: ReadonlyMap<GatheredConsumer, readonly Actor[]>): MisroutedConsumer[] {
  const { set, inputs } = placement;
  const proxyGuard = inputs.proxy ? placement.guarded.find((g) => g.path === inputs.proxy!.path) : undefined;
  const databaseGuard = inputs.database ? placement.guarded.find((g) => g.path === inputs.database!.path) : undefined;
  if (!proxyGuard || !databaseGuard) return [];
  const database: Entry = { guard: databaseGuard, resources: [...databaseGuard.resources, ...clusterEndpointsOf(set, databaseGuard)], secrets: databaseSecrets(set, databaseGuard) };
  const proxy: Entry = { guard: proxyGuard, resources: [...proxyGuard.resources, ...proxyEndpointsOf(set, proxyGuard)], secrets: new Set() };
  const others = namesOfOtherSets(placement.consumers);
  return placement.consumers.flatMap((consumer) => {
    const proxied = consumer.stored.route === 'proxy';
    const wrong = proxied ? database : proxy;
    const finding = (holder: string, name: string, pointsAt: TemplateResource): MisroutedConsumer => ({
      consumer: consumer.stored.path, holder, name, route: proxied ? 'proxy' : 'direct', countedAt: (proxied ? proxy : database).guard.path, pointsAt: set.pathOf(pointsAt),
    });
    const otherNames = others(consumer);
    const fromVariables = variablesOf(consumer).filter((v) => !otherNames.has(v.name)).flatMap((v) => {
      const address = addressIn(set, v.stack, v.value, wrong, 0);
      return address ? [finding(v.holder, v.name, address)] : [];
    });
    const wrongIds = new Set(wrong.resources.map(identity));
    const fromLaunchers = (runners.get(consumer) ?? []).flatMap((actor) => {
      const address = wrong.resources.find((r) => wrongIds.has(identity(r)) && actor.refs.includes(identity(r)));
      return address ? [finding(`'${set.pathOf(actor.resource)}${actor.label}', which runs it,`, 'a container override', address)] : [];
    });
    return [...fromVariables, ...fromLaunchers];
  });
}

/** The resource of `entry` whose address `value` holds, followed through SSM parameters and the database secret's host. */
function addressIn(set: TemplateSet, stack: StackTemplate, value: unknown, entry: Entry, depth: number): TemplateResource | undefined {
  for (const target of set.targets(stack, value)) {
    if (target.kind !== 'resource') continue;
    const { resource, attribute } = target;
    if (entry.resources.includes(resource) && ADDRESS_ATTRIBUTES.has(attribute ?? '')) return resource;
    if (resource.type === 'AWS::SSM::Parameter' && depth < MAX_PARAMETER_DEPTH) {
      const inner = addressIn(set, resource.stack, field(resource.properties, 'Value'), entry, depth + 1);
      if (inner) return inner;
    }
    // `<secret>:host::`, as ecs.Secret.fromSecretsManager(secret, 'host') writes it: the database's address.
    if (entry.secrets.has(identity(resource)) && /:host:/.test(textWithPlaceholders(value) ?? '')) return entry.resources[0];
  }
  return undefined;
}

/** Aurora custom endpoints of the database's cluster: addresses of the database too. */
function clusterEndpointsOf(set: TemplateSet, database: Guarded): TemplateResource[] {
  return set.all('AWS::RDS::DBClusterEndpoint').filter((endpoint) => set.targets(endpoint.stack, field(endpoint.properties, 'DBClusterIdentifier'))
    .some((t) => t.kind === 'resource' && database.resources.includes(t.resource)));
}

/** The proxy's extra endpoints: addresses of the proxy too. */
function proxyEndpointsOf(set: TemplateSet, proxy: Guarded): TemplateResource[] {
  return set.all(TYPES.proxyEndpoint).filter((endpoint) => set.targets(endpoint.stack, field(endpoint.properties, 'DBProxyName'))
    .some((t) => t.kind === 'resource' && proxy.resources.includes(t.resource)));
}

/** The secrets attached to the database (and the attachments), whose `host` field is the database's endpoint. */
function databaseSecrets(set: TemplateSet, database: Guarded): Set<string> {
  const ids = new Set<string>();
  for (const attachment of set.all(TYPES.secretAttachment)) {
    if (set.targets(attachment.stack, field(attachment.properties, 'TargetId')).some((t) => t.kind === 'resource' && database.resources.includes(t.resource))) {
      ids.add(identity(attachment));
      const secret = set.identityOf(attachment.stack, field(attachment.properties, 'SecretId'));
      if (secret) ids.add(secret);
    }
  }
  return ids;
}

/**
 * Variables other pool sets of the same container or function receive: each set is judged by its own route. Consumers
 * are grouped by function and by task definition once, so that a budget of many consumers is not scanned for each.
 */
function namesOfOtherSets(consumers: readonly GatheredConsumer[]): (consumer: GatheredConsumer) => Set<string> {
  const byResource = groupBy(consumers, (c) => c.resource);
  const byTaskDefinition = groupBy(consumers, (c) => c.taskDefinition);
  return (consumer) => {
    const sameHolder = consumer.stored.kind === 'lambda-function'
      ? (consumer.resource ? byResource.get(consumer.resource) ?? [] : []).filter((other) => other !== consumer)
      : (consumer.taskDefinition ? byTaskDefinition.get(consumer.taskDefinition) ?? [] : [])
        .filter((other) => other !== consumer && other.stored.inputs?.container === consumer.stored.inputs?.container);
    return new Set(sameHolder.flatMap((other) => {
      const preset = other.stored.inputs?.preset;
      return preset ? [...presetVariables(preset), ...routeVariables(preset)].map((v) => v.name) : [];
    }));
  };
}

/** The consumers by the resource `key` gives, in their order; those without one are left out. */
function groupBy(consumers: readonly GatheredConsumer[], key: (consumer: GatheredConsumer) => TemplateResource | undefined): Map<TemplateResource, GatheredConsumer[]> {
  const groups = new Map<TemplateResource, GatheredConsumer[]>();
  for (const consumer of consumers) {
    const resource = key(consumer);
    if (resource === undefined) continue;
    const group = groups.get(resource);
    if (group) group.push(consumer);
    else groups.set(resource, [consumer]);
  }
  return groups;
}

/** Every environment variable and secret of the consumer's container, or the function's environment, with where it is written. */
function variablesOf(consumer: GatheredConsumer): Array<{ stack: StackTemplate; name: string; value: unknown; holder: string }> {
  const { stored, resource } = consumer;
  if (stored.kind === 'lambda-function') {
    if (!resource) return [];
    const variables = field(field(resource.properties, 'Environment'), 'Variables');
    if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return [];
    return Object.entries(variables).map(([name, value]) => ({ stack: resource.stack, name, value, holder: `the function '${stored.path}'` }));
  }
  const task = consumer.taskDefinition;
  const container = stored.inputs?.container;
  if (!task || !container) return [];
  return arrayOf(field(task.properties, 'ContainerDefinitions'))
    .filter((definition) => field(definition, 'Name') === container)
    .flatMap((definition) => [
      ...arrayOf(field(definition, 'Environment')).map((entry) => ({ entry, value: field(entry, 'Value') })),
      ...arrayOf(field(definition, 'Secrets')).map((entry) => ({ entry, value: field(entry, 'ValueFrom') })),
    ])
    .flatMap(({ entry, value }) => {
      const name = field(entry, 'Name');
      return typeof name === 'string' ? [{ stack: task.stack, name, value, holder: `the container '${container}'` }] : [];
    });
}
