import {
  AssembledRecords, BudgetEvaluation, BudgetInput, buildLedger, consumerLine, DATABASE_DEFAULT_PORT, deliveredVariables, ENGINE_NAMES, EngineKind, evaluateBudget, LedgerConsumerJson, LedgerDifference, LedgerInputsJson,
  LedgerJson, OverwrittenVariable, PROXY_PORT, recheckBudget, routeVariables,
} from '../budget';
import { startsFromAnother } from './database-engine';
import { containerVariables, deployedInstead, functionVariable, Outcome } from './delivered-variables';
import { allocationGuardDifferences } from './allocation-guard';
import { databaseUserDifferences } from './database-users';
import { literalIdentity } from './budget-resources';
import { readChain } from './deployment-chain';
import { gatherCapacity, Missing } from './gather-capacity';
import { GatheredConsumer, gatherConsumers, StoredConsumer } from './gather-consumers';
import {
  Actor, actorsOf, findMisroutedConsumers, findUnattributedScalableTargets, findUnbudgetedClients, findUnbudgetedIngress, Guarded, Placement, runnersOf, taskRunsOf,
} from './holes';
import { consumerGroups, guardedGroups, sourceIdentities } from './holes/groups';
import { variableNamePattern } from './intrinsics';
import { openClients } from './open-clients';
import { TemplateResource, TemplateSet } from './template-set';
import { describeValue, field, numberValue } from './values';

/**
 * A budget as the templates store it: a whole ledger (schema 1 to 4, and the one a budget computes at synthesis, whose
 * figures are compared), or its records (since record schema 1), which hold only what the templates cannot say.
 */
export type StoredBudget = LedgerJson | AssembledRecords;

/** A stored budget and the same budget rebuilt from the templates that deploy. */
export interface VerifiedLedger {
  /** As stored. */
  readonly stored: StoredBudget;
  /** Rebuilt from the templates and the stored inputs: every figure re-derived, every problem rechecked. */
  readonly ledger: LedgerJson;
  readonly evaluation: BudgetEvaluation;
  /** The consumers whose records were edited after synthesis (their content does not give their digest). */
  readonly edited: readonly string[];
}

/**
 * Re-derives a budget from the templates: every fact its ledger counted (deployment configuration, scalable
 * targets, desired and task counts, reserved concurrency, the proxy's settings, parameter group values) is read
 * again from what deploys, overrides included, and evaluated with the core; the delivered variables, every
 * security group attachment and rule, every launcher of a budgeted task definition and every container of it
 * are checked. The stored figures are never trusted: where they differ, CB-LEDGER-DIFFERS says so.
 * The ledger must have inputs (schema version 2).
 */
export function verifyLedger(stored: StoredBudget, set: TemplateSet): VerifiedLedger {
  const inputs = stored.inputs;
  if (!inputs) {
    throw new Error(`verifyLedger: the ledger of '${stored.budgetPath}' has no inputs (schema version ${(stored as LedgerJson).schemaVersion})`);
  }
  const figures = 'totals' in stored ? stored : undefined;
  const capacity = gatherCapacity(inputs, set);
  const missing: Missing[] = [...capacity.missing];
  if (!figures) missing.push(...missingRecords(stored as AssembledRecords, set));
  const chain = readChain(stored.budgetPath, inputs.waves, set);
  const gathered = gatherConsumers(figures ? figures.consumers : withoutSettings(stored as AssembledRecords), set, missing).map((c) => {
    const wave = c.resource && c.stored.route !== 'direct' ? chain.membership.get(c.resource) : undefined;
    return wave ? { ...c, input: { ...c.input, wave } } : c;
  });
  const delivered = figures ? undefined : withDeliveredSettings(gathered, stored.budgetPath, inputs, capacity);
  const consumers = delivered ? delivered.consumers : gathered;

  // Who may reach what: the proxy its route's consumers and reservations; the database its direct ones (every one
  // without a proxy), and the proxy. A consumer counted through the proxy with a rule straight to the database is a hole.
  const proxied = inputs.proxy !== null;
  const routed = (route: 'proxy' | 'direct') => consumers.filter((c) => !proxied || c.stored.route === route);
  const reserved = (throughProxy: boolean) => sourceIdentities(set, inputs.reservations.filter((r) => !proxied || r.throughProxy === throughProxy).flatMap((r) => r.clients));
  const guarded: Guarded[] = [];
  const proxyResources = capacity.proxy ? [capacity.proxy] : [];
  const proxyGroups = inputs.proxy ? guardedGroups(set, proxyResources, inputs.proxy.securityGroups) : new Set<string>();
  const databaseGroups = guardedGroups(set, capacity.databaseResources, inputs.database?.securityGroups ?? []);
  if (inputs.proxy) {
    guarded.push({
      path: inputs.proxy.path, resources: proxyResources, groups: proxyGroups, port: PROXY_PORT[inputs.engine],
      allowed: new Set([...consumerGroups(set, routed('proxy')), ...reserved(true), ...proxyGroups]),
    });
  }
  const databaseFacts = inputs.database ? databaseEntry(inputs, capacity) : undefined;
  if (inputs.database) {
    guarded.push({
      path: inputs.database.path,
      resources: capacity.databaseResources,
      groups: databaseGroups,
      port: databaseFacts!.port,
      allowed: new Set([...consumerGroups(set, routed('direct')), ...reserved(false), ...proxyGroups, ...databaseGroups]),
    });
  }
  if (inputs.allocation) {
    // The owning app's client group reaches its proxy: whatever this app places in it connects on the allocation.
    const clientGroup = new Set([literalIdentity(inputs.allocation.clientSecurityGroupId)!]);
    guarded.push({
      path: `allocation:${inputs.allocation.name} of ${inputs.allocation.budgetPath}`,
      resources: [], groups: clientGroup, port: inputs.allocation.port, allowed: new Set([...consumerGroups(set, consumers), ...clientGroup]),
    });
  }
  const placement: Placement = { set, inputs, guarded, consumers };
  const runs = taskRunsOf(placement, actorsOf(set));
  const runners = runnersOf(placement, runs);

  let input: BudgetInput = {
    path: stored.budgetPath,
    capacity: capacity.capacity,
    consumers: consumers.map((c) => c.input),
    warningThresholdPercent: inputs.warningThresholdPercent,
    unresolved: capacity.unresolved,
    invalid: capacity.invalid,
    unbudgetedIngress: findUnbudgetedIngress(placement),
    unbudgetedClients: findUnbudgetedClients(placement, consumerGroups(set, consumers), runs, runners),
    tls: capacity.tls,
    // Only a budget of a database in the app gives reservations clients (a team's budget refuses them), so it has that database.
    openClients: openClients(inputs.reservations.filter((r) => r.clients.length > 0).map((r) => ({
      name: r.name, targetPath: proxied && r.throughProxy ? inputs.proxy!.path : inputs.database!.path, clients: r.clients.map((c) => c.value),
    }))),
    misroutedConsumers: findMisroutedConsumers(placement, runners),
    unattributedScalableTargets: findUnattributedScalableTargets(set, consumers.flatMap((c) => (c.stored.kind === 'ecs-service' && c.resource ? [c.resource] : []))),
    overwrittenVariables: consumers.flatMap((c) => [...overwrittenVariables(set, c), ...overriddenVariables(set, c, runners.get(c) ?? [])]),
    ledgerDifferences: [
      ...missing.filter((m) => m.located.kind === 'resource-missing').map((m) => ({
        subject: stored.budgetPath, what: `the place of ${m.what}`, ledger: m.located.kind === 'resource-missing' ? m.located.where : '', templates: 'no such resource',
      })),
      ...(figures ? [] : unnamedRecords(stored as AssembledRecords)),
      ...databaseFacts?.differences ?? [],
    ],
    missingTemplates: missing.flatMap((m) => (m.located.kind === 'stack-missing' ? [{ subject: stored.budgetPath, what: m.what, stack: m.located.stack }] : [])),
  };
  const ledgerInputs = { budget: inputs, consumers: new Map(consumers.map((c) => [c.stored.path, c.stored.inputs!])) };
  // Records give the figures once, to derive the settings delivered; the checks then run on everything the templates say.
  let evaluation = delivered ? recheckBudget(delivered.evaluation, input) : evaluateBudget(input);
  let ledger = buildLedger(evaluation, ledgerInputs);
  // What the templates lack is reported as missing; its figures are not compared as well.
  let differences = [
    ...chain.differences,
    ...(figures ? ledgerDifferences(figures, ledger, consumers.filter((c) => c.resource), capacity.missing.length === 0)
      : recordDifferences(stored as AssembledRecords, ledger, consumers.filter((c) => c.resource), capacity.missing.length === 0)),
    ...allocationGuardDifferences(stored, ledger, set, consumers),
    ...databaseUserDifferences(ledger, set),
  ];
  const derived = evaluation.capacity?.proxy;
  const deployedPercent = numberValue(capacity.deployedDerivedPercent);
  if (inputs.proxy?.derivedPercent && derived && !(deployedPercent.kind === 'known' && deployedPercent.value === derived.maxConnectionsPercent)) {
    // BudgetedDatabase writes the derived percent into the target group; anything else there is not the budget's.
    differences.push({
      subject: inputs.proxy.path, what: `the MaxConnectionsPercent of '${inputs.proxy.path}'`,
      ledger: `${derived.maxConnectionsPercent} (derived)`, templates: capacity.deployedDerivedPercent === undefined ? 'none (RDS Proxy\'s default, 100)' : describeValue(capacity.deployedDerivedPercent),
    });
  }
  // A record edited by hand moves the shares of every consumer rebuilt from it, and may hold anything (another security
  // group for a consumer): an edited record is reported first, and what it may have moved is counted instead of listed.
  let edited: LedgerDifference[] = [];
  if (!figures) {
    const moved = differences.length - chain.differences.length + input.overwrittenVariables!.length;
    edited = editedRecords(stored as AssembledRecords, moved);
    if (edited.length > 0) {
      differences = [...chain.differences, ...edited];
      input = { ...input, overwrittenVariables: [] };
    }
  }
  if (differences.length > 0) {
    evaluation = recheckBudget(evaluation, { ...input, ledgerDifferences: [...input.ledgerDifferences!, ...differences] });
    ledger = buildLedger(evaluation, ledgerInputs);
  }
  return { stored, ledger, evaluation, edited: edited.map((e) => e.subject) };
}

/** The consumers of a budget's records whose records the templates lack: their stack not given, or the record gone from it. */
function missingRecords(stored: AssembledRecords, set: TemplateSet): Missing[] {
  return stored.missing.map((m) => ({
    what: `the consumer '${m.path}'`,
    located: set.stack(m) ? { kind: 'resource-missing', where: `its record, on a resource of stack '${m.stack}'` } : { kind: 'stack-missing', stack: m.stack },
  }));
}

/**
 * Consumer records the budget's record does not name: never counted, so a consumer deleted from the budget's record by an
 * edit (or a stack deployed before its budget's) would otherwise go unseen.
 */
function unnamedRecords(stored: AssembledRecords): LedgerDifference[] {
  return stored.unnamed.map((u) => ({
    subject: stored.budgetPath, what: 'the consumers of its record', ledger: `without '${u.path}'`,
    templates: `a record of '${u.path}' on logical ID '${u.resource.logicalId}' in stack '${u.resource.stack}' (edited, or deployed before the budget's stack)`,
  }));
}

/**
 * Consumer records that are not what the budget wrote: their content does not give the digest they hold. `moved` counts
 * the other differences and overwritten variables found, which the edit may explain and which are not listed then.
 */
function editedRecords(stored: AssembledRecords, moved: number): LedgerDifference[] {
  const notListed = moved === 0 ? '' : `; ${moved === 1 ? '1 other difference' : `${moved} other differences`} found, which it may explain, `
    + `${moved === 1 ? 'is' : 'are'} not listed`;
  return stored.edited().map((e) => ({
    subject: e.path, what: `the record of '${e.path}'`, ledger: `the record holding digest ${e.held}`,
    templates: `a record on logical ID '${e.resource.logicalId}' in stack '${e.resource.stack}' whose content gives digest ${e.computed}: the record or its `
      + `digest was edited after synthesis, so nothing rebuilt from it can be trusted${notListed}`,
    fix: 'Synthesize the app again and deploy or check what it writes; never edit a synthesized template\'s records by hand.',
  }));
}

/** Consumers assembled from records, before their pool settings are derived. */
function withoutSettings(stored: AssembledRecords): StoredConsumer[] {
  return stored.consumers.map((c) => ({ ...c, poolSettings: { variables: {} } }));
}

/**
 * Records store no pool settings: the budget delivers what its evaluation derives from the templates. A first
 * evaluation, of the figures only, gives each consumer the variables the checks then compare with what deploys.
 */
function withDeliveredSettings(consumers: readonly GatheredConsumer[], path: string, inputs: LedgerInputsJson,
  capacity: ReturnType<typeof gatherCapacity>): { consumers: GatheredConsumer[]; evaluation: BudgetEvaluation } {
  const evaluation = evaluateBudget({
    path, capacity: capacity.capacity, consumers: consumers.map((c) => c.input), warningThresholdPercent: inputs.warningThresholdPercent,
    unresolved: capacity.unresolved, invalid: capacity.invalid,
  });
  const inputsOf = new Map(consumers.map((c) => [c.stored.path, c.stored.inputs!]));
  const variables = new Map(evaluation.consumers.map((c) => [c.input.path, deliveredVariables(c, evaluation.capacity, inputsOf.get(c.input.path)!)]));
  return { consumers: consumers.map((c) => ({ ...c, stored: { ...c.stored, poolSettings: { variables: variables.get(c.stored.path) ?? {} } } })), evaluation };
}

/**
 * The figures a budget's records give that the rebuilt ledger does not: each consumer's worst case, then the totals. The
 * records hold inputs the templates cannot say (processes, pools, bounds, reservations); an edit of one shows here.
 */
function recordDifferences(stored: AssembledRecords, rebuilt: LedgerJson, gathered: readonly GatheredConsumer[], capacityFound: boolean): LedgerDifference[] {
  const readable = readableConsumers(gathered);
  const differences: LedgerDifference[] = [];
  const rebuiltByPath = new Map(rebuilt.consumers.map((c) => [c.path, c]));
  for (const consumer of stored.consumers.filter((c) => readable.has(c.path))) {
    const again = rebuiltByPath.get(consumer.path);
    if (again && again.demand !== consumer.demand) {
      differences.push({ subject: consumer.path, what: `the worst case of '${consumer.path}'`, ledger: String(consumer.demand), templates: consumerLine(again) });
    }
  }
  const totals = (t: AssembledRecords['figures']) => `worst case ${t.demand} of ${t.ceiling ?? 'an unknown ceiling'}, required ${t.required}, `
    + `reserved ${t.reserved ?? 'unknown'}`;
  const again = { ...rebuilt.totals, reserved: rebuilt.capacity?.reservedTotal ?? null };
  if (differences.length === 0 && capacityFound && readable.size === stored.consumers.length && totals(stored.figures) !== totals(again)) {
    differences.push({ subject: stored.budgetPath, what: 'the totals', ledger: totals(stored.figures), templates: totals(again) });
  }
  return differences;
}

/** The consumers whose shape the templates give whole: one left unknown or invalid is reported as such, not as a second difference. */
function readableConsumers(gathered: readonly GatheredConsumer[]): Set<string> {
  return new Set(gathered.filter((g) => g.input.unresolved.length === 0 && (g.input.invalid ?? []).length === 0 && g.input.unbounded === undefined)
    .map((g) => g.stored.path));
}

/** Figures the stored ledger gives that the rebuilt one does not, one per consumer and one for the capacity. */
function ledgerDifferences(stored: LedgerJson, rebuilt: LedgerJson, gathered: readonly GatheredConsumer[], capacityFound: boolean): LedgerDifference[] {
  const differences: LedgerDifference[] = [];
  if (!capacityFound) {
    return differences;
  }
  const a = stored.capacity;
  const b = rebuilt.capacity;
  const capacityFigure = (c: LedgerJson['capacity']) => (c === null ? 'unknown'
    : `max_connections ${c.maxConnections.value}, engine reserve ${c.engineReserve}, usable ${c.usable}, `
      + `${c.proxy ? `proxy ${c.proxy.maxConnectionsPercent} % = ${c.proxy.ceiling}, ` : ''}ceiling ${c.ceiling}`);
  if (capacityFigure(a) !== capacityFigure(b) || (a?.userConnectionLimit ?? null) !== (b?.userConnectionLimit ?? null)) {
    differences.push({ subject: stored.budgetPath, what: 'the capacity', ledger: capacityFigure(a), templates: capacityFigure(b) });
  }
  const rebuiltByPath = new Map(rebuilt.consumers.map((c) => [c.path, c]));
  const readable = readableConsumers(gathered);
  for (const consumer of stored.consumers.filter((c) => readable.has(c.path))) {
    const again = rebuiltByPath.get(consumer.path);
    if (again && figures(consumer) !== figures(again)) {
      const sources = gathered.find((g) => g.stored.path === consumer.path)?.sources ?? [];
      differences.push({
        subject: consumer.path,
        what: `the worst case of '${consumer.path}'`,
        ledger: consumerLine(consumer),
        templates: `${consumerLine(again)}${sources.length > 0 ? `, read from ${sources.map((s) => (s.startsWith('scalable') ? s : `'${s}'`)).join(' and ')}` : ''}`,
      });
    }
  }
  const totals = (l: LedgerJson) => JSON.stringify(l.totals);
  if (differences.length === 0 && readable.size === stored.consumers.length && totals(stored) !== totals(rebuilt)) {
    const text = (l: LedgerJson) => `worst case ${l.totals.demand} of ${l.totals.ceiling ?? 'an unknown ceiling'} (steady ${l.totals.steadyDemand}, `
      + `direct ${l.totals.directDemand}, required ${l.totals.required}, headroom ${l.totals.headroom ?? 'unknown'})`;
    differences.push({ subject: stored.budgetPath, what: 'the totals', ledger: text(stored), templates: text(rebuilt) });
  }
  return differences;
}

/** The figures of a consumer that the templates decide. */
function figures(c: LedgerConsumerJson): string {
  return JSON.stringify([c.kind, c.route, c.shape, c.instances?.peak ?? null, c.instances?.steady ?? null, c.pool.size, c.connectionsPerInstance, c.demand, c.steadyDemand]);
}

/** The variables the budget delivered (as stored) that deploy with another value, in any branch of the template's conditions. */
function overwrittenVariables(set: TemplateSet, consumer: GatheredConsumer): OverwrittenVariable[] {
  const { stored } = consumer;
  const container = stored.inputs!.container;
  let read: (names: readonly string[]) => ReadonlyMap<string, readonly Outcome[]>;
  let holder: string;
  if (stored.kind === 'lambda-function') {
    if (!consumer.resource) return [];
    const variables = field(field(consumer.resource.properties, 'Environment'), 'Variables');
    read = (names) => new Map(names.map((name) => [name, functionVariable(variables, name)]));
    holder = `the function '${stored.path}'`;
  } else {
    const task = consumer.taskDefinition;
    if (!task || container === null) return [];
    const definitions = field(task.properties, 'ContainerDefinitions');
    read = (names) => containerVariables(definitions, container, names);
    holder = `the container '${container}' of '${set.pathOf(task)}'`;
  }
  const checked = checkedVariables(stored);
  const outcomes = read(Object.keys(checked));
  return Object.entries(checked).flatMap(([name, budget]) => {
    const deployed = deployedInstead(outcomes.get(name)!, budget);
    return deployed === undefined ? [] : [{ consumer: stored.path, holder, name, budget, deployed }];
  });
}

/**
 * Variables a launcher of the consumer's task overrides: an EventBridge target's or a schedule's input, a state
 * machine's container overrides. Whatever mentions a delivered variable's name may set it, and ECS lets an override
 * win over the task definition.
 */
function overriddenVariables(set: TemplateSet, consumer: GatheredConsumer, runners: readonly Actor[]): OverwrittenVariable[] {
  // Most consumers have no launcher besides their own service: no pattern is made for them.
  if (runners.length === 0) return [];
  const { stored } = consumer;
  return Object.entries(checkedVariables(stored)).flatMap(([name, budget]) => {
    const pattern = variableNamePattern(name);
    return runners.filter((runner) => runner.texts.some((text) => pattern.test(text))).map((runner) => ({
      consumer: stored.path,
      holder: `a container override in '${set.pathOf(runner.resource)}${runner.label}'`,
      name,
      budget,
      deployed: 'a value of its own',
    }));
  });
}

/**
 * The variables whose deployed value must be the budget's: the pool settings, and the consumer's own database user
 * (another user would escape the connection limit the database enforces for this consumer).
 */
function checkedVariables(stored: StoredConsumer): Record<string, string> {
  const user = stored.inputs?.databaseUser;
  const userVariable = user ? routeVariables(stored.inputs!.preset).find((v) => v.credentialsOnly)?.name : undefined;
  return { ...stored.poolSettings.variables, ...(user && userVariable ? { [userVariable]: user } : {}) };
}

/**
 * The port the database listens on and what its budget's record says otherwise: the engine and the port the templates
 * deploy decide (a record edited to another engine or port would move the checks off the database's real port). With no
 * Port in the templates a new database listens on its engine's default; one that starts from a snapshot or a source on
 * that one's port, and one whose engine is known only at deploy on a port the templates do not say: unknown, so every
 * port counts. A database outside the templates (imported) listens on the port its budget was given.
 */
function databaseEntry(inputs: LedgerInputsJson, capacity: ReturnType<typeof gatherCapacity>): { port?: number; differences: LedgerDifference[] } {
  const database = inputs.database!;
  const deployed = capacity.deployedEngine;
  const differences: LedgerDifference[] = [];
  if (deployed?.literal && deployed.kind !== inputs.engine) {
    differences.push({
      subject: database.path, what: `the engine of '${database.path}'`, ledger: ENGINE_NAMES[inputs.engine],
      templates: `Engine '${deployed.engineType}' (${deployed.kind ? ENGINE_NAMES[deployed.kind] : 'an engine the budget does not count'})`,
    });
  }
  const resources = capacity.databaseResources;
  if (resources.length === 0) return { port: database.port ?? undefined, differences };
  const port = deployedPort(resources, deployed?.literal ? deployed.kind : undefined);
  if (database.port !== null && port !== undefined && port !== database.port) {
    differences.push({ subject: database.path, what: `the port of '${database.path}'`, ledger: String(database.port), templates: String(port) });
  }
  return { port, differences };
}

/** The port the database's resources deploy: their Port, else a new database's engine default; undefined when unknown. */
function deployedPort(resources: readonly TemplateResource[], engine: EngineKind | undefined): number | undefined {
  for (const resource of resources) {
    const port = numberValue(field(resource.properties, 'Port'));
    if (port.kind === 'known') return port.value;
    if (port.kind === 'token') return undefined;
  }
  return engine && !resources.some(startsFromAnother) ? DATABASE_DEFAULT_PORT[engine] : undefined;
}
