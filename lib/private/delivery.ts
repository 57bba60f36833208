import { Lazy } from 'aws-cdk-lib';
import { PoolSettings, presetVariables, PresetSpec, Route, routeValues, routeVariables } from '../budget';
import { ConsumerProblem, EnvironmentHolder } from '../constructs/consumers/binding';

/** Which budget, for which consumer, set each variable of a container or function, so no two overwrite each other's. */
const variableOwners = new WeakMap<object, Map<string, { readonly budget: string; readonly consumer: string }>>();

/**
 * Delivers a preset's variables to a container or function, each a value produced when the budget is computed.
 * Refuses a variable another budget delivers, or one the app already sets: the budget's value must be the one
 * that deploys, and the app's own must not be lost. Returns each variable's value, a token until the budget computes.
 */
export function deliver(budgetPath: string, consumerPath: string, preset: PresetSpec, holder: EnvironmentHolder, settings: () => PoolSettings): Record<string, string> {
  const owners = variableOwners.get(holder.key) ?? new Map<string, { budget: string; consumer: string }>();
  const variables = presetVariables(preset);
  for (const variable of variables) {
    const owner = owners.get(variable.name);
    if (owner?.budget === budgetPath) {
      // Two services of one task definition: the variables live in the task definition, so they would share one pool size.
      throw new ConsumerProblem(`${holder.description} already receives ${variable.name} for '${owner.consumer}'. A second pool set of one container `
        + 'needs a preset with its own variables (for example PoolSettingsPreset.generic(\'CACHE_DB_POOL\')); services that share a task definition share its '
        + 'variables, and so one pool size: give each its own task definition.');
    }
    if (owner !== undefined) {
      throw new ConsumerProblem(`${holder.description} already receives ${variable.name} from budget '${owner.budget}'; pass a poolSettings preset with another prefix or variable.`);
    }
  }
  const existing = holder.existingNames(owners.size > 0);
  if (owners.size === 0) {
    // The names the app set before any budget delivered: a function can tell them only now (see deliverRoute).
    appNames.set(holder.key, existing);
  }
  const taken = variables.map((v) => v.name).filter((name) => existing.has(name));
  if (taken.length > 0) {
    throw new ConsumerProblem(`${holder.description} already sets ${taken.join(', ')}, which the pool settings would overwrite; `
      + 'pass a poolSettings preset with another prefix or variable names, or remove the app\'s own value.');
  }
  const delivered: Record<string, string> = {};
  for (const variable of variables) {
    owners.set(variable.name, { budget: budgetPath, consumer: consumerPath });
    delivered[variable.name] = Lazy.string({ produce: () => variable.render(settings()) });
    holder.add(variable.name, delivered[variable.name]);
  }
  variableOwners.set(holder.key, owners);
  return delivered;
}

/**
 * Delivers where to connect beside the pool settings. A variable the app already sets, or another consumer of the
 * container already receives, keeps its value: CB-WRONG-ROUTE checks where it points. Returns what was delivered.
 */
export function deliverRoute(preset: PresetSpec, holder: EnvironmentHolder, route: Route): Record<string, string> {
  const owners = variableOwners.get(holder.key);
  const existing = new Set([...holder.existingNames(owners !== undefined && owners.size > 0), ...(appNames.get(holder.key) ?? [])]);
  const routed = routeOwners.get(holder.key) ?? new Set<string>();
  const credentials = new Set(routeVariables(preset).filter((v) => v.credentialsOnly).map((v) => v.name));
  const delivered: Record<string, string> = {};
  for (const [name, value] of routeValues(preset, route)) {
    // Another user would bypass the connection limit the database enforces for this consumer: never keep one.
    if (credentials.has(name) && routed.has(name)) {
      throw new ConsumerProblem(`${holder.description} already receives ${name} for another pool set; each pool set connects as its own database user `
        + 'with its own limit: give this one a preset with its own variables (for example PoolSettingsPreset.generic(\'CACHE_DB_POOL\')).');
    }
    if (credentials.has(name) && existing.has(name)) {
      throw new ConsumerProblem(`${holder.description} already sets ${name}, so it would not connect as its own database user '${route.credentials?.user}', `
        + 'whose connection limit the database enforces; remove the app\'s own value, or pass a poolSettings preset with another prefix.');
    }
    if (existing.has(name) || routed.has(name)) continue;
    delivered[name] = value;
    holder.add(name, value);
    routed.add(name);
  }
  routeOwners.set(holder.key, routed);
  return delivered;
}

/** The variable names each container or function had from the app before a budget delivered to it. */
const appNames = new WeakMap<object, ReadonlySet<string>>();

/** The route variables delivered to each container or function. */
const routeOwners = new WeakMap<object, Set<string>>();
