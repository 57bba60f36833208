import { alternatives, ifArguments, isNoValue, listItems } from './intrinsics';
import { describeValue, field } from './values';

/** What a variable deploys as in one way the template's conditions can go. */
export type Outcome =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'missing' }
  | { readonly kind: 'secret' }
  | { readonly kind: 'computed' };

const MISSING: Outcome = { kind: 'missing' };
const COMPUTED: Outcome = { kind: 'computed' };
const SECRET: Outcome = { kind: 'secret' };

/**
 * What a variable deploys as, across every branch of the template's conditions: undefined when every branch deploys
 * exactly `budget`, else the values it may deploy instead (`'50'`, `nothing`, `a secret`, `'20' or '50'`). A branch that
 * leaves the variable out deploys nothing: the framework then uses its own default pool. Of two entries of one name,
 * the container gets one.
 */
export function deployedInstead(outcomes: readonly Outcome[], budget: string): string | undefined {
  const texts = [...new Set(outcomes.map(describeOutcome))];
  return texts.length === 1 && texts[0] === `'${budget}'` ? undefined : texts.join(' or ');
}

function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'missing': return 'nothing';
    case 'secret': return 'a secret';
    case 'computed': return 'a value known only at deploy';
    default: return typeof outcome.value === 'string' ? `'${outcome.value}'` : describeValue(outcome.value);
  }
}

/**
 * The outcomes of variables in a container of a task definition's ContainerDefinitions, by name: each container's
 * secrets and environment read once for every name (a budget of 1,000 consumers checks several variables of each).
 */
export function containerVariables(definitions: unknown, container: string, wanted: readonly string[]): Map<string, Outcome[]> {
  const names = [...new Set(wanted)];
  const { items, computed } = listItems(definitions);
  const outcomes = new Map(names.map((name): [string, Outcome[]] => [name, computed.length > 0 ? [COMPUTED] : []]));
  const matching = items.filter((d) => field(d, 'Name') === container);
  if (matching.length === 0) outcomes.forEach((o) => o.push(MISSING));
  for (const definition of matching) {
    const secrets = new Set(listItems(field(definition, 'Secrets')).items.map((s) => field(s, 'Name')));
    const inEnvironment = names.filter((name) => !secrets.has(name));
    for (const name of names) if (secrets.has(name)) outcomes.get(name)!.push(SECRET);
    if (inEnvironment.length === 0) continue;
    for (const branch of alternatives(field(definition, 'Environment'))) {
      for (const [name, found] of environmentListVariables(branch, inEnvironment)) append(outcomes.get(name)!, found);
    }
  }
  return outcomes;
}

/** The outcomes of variables in one branch of a container's Environment (a list of Name and Value), by name. */
function environmentListVariables(list: unknown, names: readonly string[]): Map<string, Outcome[]> {
  if (list === undefined || list === null) return new Map(names.map((name) => [name, [MISSING]]));
  if (!Array.isArray(list)) return new Map(names.map((name) => [name, [COMPUTED]]));
  const outcomes = new Map(names.map((name): [string, Outcome[]] => [name, []]));
  const alwaysSet = new Set<string>();
  for (const element of list) {
    if (!ifArguments(element)) {
      // One entry, the common case, read without listing its alternatives.
      const entry = isNoValue(element) ? undefined : element;
      const name = field(entry, 'Name');
      const own = typeof name === 'string' ? outcomes.get(name) : undefined;
      if (own) {
        append(own, valueOutcomes(field(entry, 'Value')));
        alwaysSet.add(name as string);
      }
      continue;
    }
    const options = alternatives(element);
    for (const [name, own] of outcomes) {
      const setting = options.filter((o) => field(o, 'Name') === name);
      for (const option of setting) append(own, valueOutcomes(field(option, 'Value')));
      // An entry written as an Fn::If sets the variable only when its condition chooses the branch that names it.
      if (setting.length > 0 && setting.length === options.length) alwaysSet.add(name);
    }
  }
  outcomes.forEach((own, name) => {
    if (!alwaysSet.has(name)) own.push(MISSING);
  });
  return outcomes;
}

function append(list: Outcome[], items: readonly Outcome[]): void {
  for (const item of items) list.push(item);
}

/** The outcomes of a variable in a Lambda function's Environment.Variables. */
export function functionVariable(variables: unknown, name: string): Outcome[] {
  return alternatives(variables).flatMap((branch): Outcome[] => {
    if (branch === undefined || branch === null) return [MISSING];
    if (typeof branch !== 'object' || Array.isArray(branch) || Object.keys(branch).some((k) => k === 'Ref' || k.startsWith('Fn::'))) return [COMPUTED];
    // Variable names are case-sensitive: DB_POOL_MAX and db_pool_max are two variables.
    const value = (branch as Record<string, unknown>)[name];
    return value === undefined ? [MISSING] : valueOutcomes(value);
  });
}

function valueOutcomes(value: unknown): Outcome[] {
  return alternatives(value).map((v) => (v === undefined ? MISSING : { kind: 'value', value: v }));
}
