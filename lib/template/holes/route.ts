import { MisroutedConsumer } from '../../budget';
import { TYPES } from '../budget-resources';
import { GatheredConsumer } from '../gather-consumers';
import { StackTemplate, TemplateResource } from '../template-set';
import { field } from '../values';
import { arrayOf, Guarded, Placement } from './placement';

/**
 * Attributes that give an address to connect to: an instance's or a cluster's endpoints, a proxy's (and a proxy
 * endpoint's). A port or an identifier of the database is not a route.
 */
const ADDRESS_ATTRIBUTES: ReadonlySet<string> = new Set(['Endpoint.Address', 'ReadEndpoint.Address', 'Endpoint']);

/**
 * Consumers whose variables point where the budget does not count them: counted through the proxy, but a variable
 * holds the database's endpoint (the proxy at its ceiling plus this consumer can then exceed max_connections); or
 * counted directly, but a variable holds the proxy's (it takes from the proxy's ceiling, which nothing kept for it).
 */
export function findMisroutedConsumers(placement: Placement): MisroutedConsumer[] {
  const proxy = placement.inputs.proxy ? placement.guarded.find((g) => g.path === placement.inputs.proxy!.path) : undefined;
  const database = placement.guarded.find((g) => g.path === placement.inputs.database.path);
  if (!proxy || !database) return [];
  const proxyResources = [...proxy.resources, ...proxyEndpointsOf(placement, proxy)];
  return placement.consumers.flatMap((consumer) => {
    const wrong = consumer.stored.route === 'proxy'
      ? { guard: database, resources: database.resources, counted: proxy }
      : { guard: proxy, resources: proxyResources, counted: database };
    return variablesOf(consumer).flatMap(({ stack, name, value, holder }) => {
      const addresses = placement.set.targets(stack, value)
        .flatMap((t) => (t.kind === 'resource' && wrong.resources.includes(t.resource) && ADDRESS_ATTRIBUTES.has(t.attribute ?? '') ? [t.resource] : []));
      if (addresses.length === 0) return [];
      return [{
        consumer: consumer.stored.path, holder, name,
        route: consumer.stored.route === 'proxy' ? 'proxy' : 'direct',
        countedAt: wrong.counted.path, pointsAt: placement.set.pathOf(addresses[0]),
      } as MisroutedConsumer];
    });
  });
}

/** The proxy's extra endpoints: addresses of the proxy too. */
function proxyEndpointsOf(placement: Placement, proxy: Guarded): TemplateResource[] {
  const { set } = placement;
  return set.all(TYPES.proxyEndpoint).filter((endpoint) => set.targets(endpoint.stack, field(endpoint.properties, 'DBProxyName'))
    .some((t) => t.kind === 'resource' && proxy.resources.includes(t.resource)));
}

/** Every environment variable of the consumer's container or function, with where it is written. */
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
    .flatMap((definition) => arrayOf(field(definition, 'Environment')))
    .flatMap((entry) => {
      const name = field(entry, 'Name');
      return typeof name === 'string' ? [{ stack: task.stack, name, value: field(entry, 'Value'), holder: `the container '${container}'` }] : [];
    });
}
