import { allocate, AllocationRequest } from './allocation';
import { computeCapacity, resolveMaxConnections } from './capacity';
import { runChecks } from './checks';
import { connectionsPerInstance, instanceCounts } from './demand';
import { LARGEST_MAX_CONNECTIONS, MAX_COUNT, MAX_POOL_SIZE, MAX_SETTABLE_MAX_CONNECTIONS } from './limits';
import { BudgetEvaluation, BudgetInput, ConsumerInput, ConsumerResult, Totals } from './model';
import { sortByText } from './text';
import { waveDemand } from './waves';

/**
 * Computes a budget: capacity, each consumer's pool size and worst-case demand, totals and problems.
 * Pure and deterministic: the same input, in any consumer order, gives the same evaluation.
 */
export function evaluateBudget(input: BudgetInput): BudgetEvaluation {
  const consumers = sortByText(input.consumers, (c) => c.path);
  assertValid(input, consumers);
  const shared = input.capacity.reservations.filter((r) => r.share);
  if (shared.length === 0) {
    return evaluateResolved(input, consumers, []);
  }
  // A reservation granted as a share takes its part of the ceiling as a derived pool of one connection per unit would,
  // beside the consumers' shares; the budget is then the one with that number reserved, as it deploys.
  const withoutShares = { ...input, capacity: { ...input.capacity, reservations: input.capacity.reservations.filter((r) => !r.share) } };
  const shareRequests = shared.map((r): AllocationRequest => ({
    id: `${SHARED_RESERVATION_ID_PREFIX}${r.name}`, connectionsPerPoolUnit: 1, fixedConnections: 0, pool: { kind: 'share', ...r.share! },
  }));
  const { allocation } = evaluateResolved(withoutShares, consumers, shareRequests);
  const reservations = input.capacity.reservations.map((r) => (r.share
    ? { ...r, connections: allocation?.poolSizes.get(`${SHARED_RESERVATION_ID_PREFIX}${r.name}`) ?? r.share.min } : r));
  return evaluateResolved({ ...input, capacity: { ...input.capacity, reservations } }, consumers, []);
}

/**
 * The evaluation `evaluateBudget(input)` gives, from an evaluation of the same budget with fewer facts for the checks:
 * the figures depend only on the path, the capacity and the consumers, so they are kept, and the checks run again on
 * `input`. The template readers evaluate the figures first (to know the pool settings a budget delivers), then check
 * what the templates deploy against them. `input` must have the evaluated input's path, capacity and consumers.
 */
export function recheckBudget(evaluation: BudgetEvaluation, input: BudgetInput): BudgetEvaluation {
  const evaluated = evaluation.input;
  if (!sameFigureInputs(input, evaluated)) {
    throw new Error(`recheckBudget: the input of '${input.path}' is not the one '${evaluated.path}' was evaluated with (path, consumers or capacity differ)`);
  }
  assertValid(input, evaluation.consumers.map((c) => c.input));
  // The evaluated capacity, shared reservations resolved to the connections they were granted (evaluateBudget).
  const rechecked = { ...input, capacity: evaluated.capacity };
  const { problems: _problems, ...figures } = evaluation;
  return { ...figures, input: rechecked, problems: runChecks({ ...figures, input: rechecked }) };
}

/**
 * Whether `input` has the path, consumers and capacity of `evaluated`, the input an evaluation holds: the same objects,
 * but for shared reservations, which evaluateBudget resolves into copies of the same name and share.
 */
function sameFigureInputs(input: BudgetInput, evaluated: BudgetInput): boolean {
  const [capacity, other] = [input.capacity as unknown as Record<string, unknown>, evaluated.capacity as unknown as Record<string, unknown>];
  const keys = Object.keys(capacity);
  return input.path === evaluated.path
    && input.consumers.length === evaluated.consumers.length && input.consumers.every((c, i) => c === evaluated.consumers[i])
    && keys.length === Object.keys(other).length && keys.every((k) => k === 'reservations' || capacity[k] === other[k])
    && input.capacity.reservations.length === evaluated.capacity.reservations.length
    && input.capacity.reservations.every((r, i) => {
      const resolved = evaluated.capacity.reservations[i];
      return r === resolved || (r.share !== undefined && r.share === resolved.share && r.name === resolved.name);
    });
}

/** Keeps the ids of shared reservations apart from consumer paths in the allocator. */
const SHARED_RESERVATION_ID_PREFIX = '\u0000reservation:';

function evaluateResolved(input: BudgetInput, consumers: readonly ConsumerInput[], extraRequests: readonly AllocationRequest[]): BudgetEvaluation {

  const instances = new Map(consumers.map((c) => [c.path, c.shape && instanceCounts(c.shape)]));
  const peakOf = (c: ConsumerInput) => instances.get(c.path)?.peak ?? 0;
  const isDirect = (c: ConsumerInput) => input.capacity.proxy !== undefined && c.route === 'direct';
  const directDemand = sum(consumers.filter(isDirect).map((c) => peakOf(c) * connectionsPerInstance(c.connections, fixedSize(c))));

  const maxConnections = resolveMaxConnections(input.capacity);
  const capacity = maxConnections && computeCapacity({ ...input.capacity, directDemand: (input.capacity.directDemand ?? 0) + directDemand }, maxConnections);
  const requests: AllocationRequest[] = [...consumers.filter((c) => !isDirect(c)).map((c): AllocationRequest => {
    const pools = c.connections.processes * c.connections.poolsPerProcess;
    const counts = instances.get(c.path);
    if (!c.wave || !counts) {
      const perUnit = peakOf(c) * pools;
      return { id: c.path, connectionsPerPoolUnit: perUnit, fixedConnections: perUnit * c.connections.overflowPerPool, pool: c.pool };
    }
    // A chained service pays its most tasks always, and its surge only while it is its chain's largest.
    const steady = counts.steady * pools;
    const surge = (counts.peak - counts.steady) * pools;
    return {
      id: c.path, connectionsPerPoolUnit: steady, fixedConnections: steady * c.connections.overflowPerPool, pool: c.pool,
      surge: { ...c.wave, connectionsPerPoolUnit: surge, fixedConnections: surge * c.connections.overflowPerPool },
    };
  }), ...extraRequests];
  // Without a known capacity nothing can be shared out: every pool stays at its declared size or minimum.
  const allocation = allocate(capacity ? capacity.effectiveCeiling : 0, requests);

  const results: ConsumerResult[] = consumers.map((c) => {
    const counts = instances.get(c.path);
    const direct = isDirect(c);
    const poolSize = direct ? fixedSize(c) : allocation.poolSizes.get(c.path) ?? 0;
    const perInstance = connectionsPerInstance(c.connections, poolSize);
    return {
      input: c,
      instances: counts,
      direct,
      poolSize,
      connectionsPerInstance: perInstance,
      demand: (counts?.peak ?? 0) * perInstance,
      steadyDemand: (counts?.steady ?? 0) * perInstance,
    };
  });

  const shared = results.filter((r) => !r.direct);
  const { demand, uncreditedDemand, chains } = waveDemand(shared.map((r) => ({ path: r.input.path, demand: r.demand, steadyDemand: r.steadyDemand, wave: r.input.wave })));
  const ceiling = capacity?.effectiveCeiling;
  const totals: Totals = {
    demand,
    uncreditedDemand,
    chains,
    directDemand,
    steadyDemand: sum(shared.map((r) => r.steadyDemand)),
    required: allocation.required,
    ceiling,
    headroom: ceiling === undefined ? undefined : ceiling - demand,
    utilizationPercent: ceiling ? (100 * demand) / ceiling : undefined,
  };
  const evaluation = { path: input.path, input, maxConnections, capacity, allocation: capacity && allocation, consumers: results, totals };
  return { ...evaluation, problems: runChecks(evaluation) };
}

/** A direct consumer's declared pool size (asserted fixed). */
function fixedSize(consumer: ConsumerInput): number {
  return consumer.pool.kind === 'fixed' ? consumer.pool.size : consumer.pool.min;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Inputs come from the constructs and the template readers, which turn bad values into problems with friendly
 * messages; this guards the core's contract. Every count is bounded, so every loop of the evaluation (the
 * allocation, the fix searches) ends whatever the input.
 */
function assertValid(input: BudgetInput, consumers: readonly ConsumerInput[]): void {
  const problems: string[] = [];
  const whole = (what: string, n: unknown, min: number, max: number) => {
    if (!(typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max)) {
      problems.push(`${what} must be a whole number from ${min} to ${max}, got ${String(n)}`);
    }
  };
  for (let i = 1; i < consumers.length; i++) {
    if (consumers[i].path === consumers[i - 1].path) {
      problems.push(`consumer '${consumers[i].path}' is registered twice`);
    }
  }
  for (const c of consumers) {
    const what = (field: string) => `${field} of '${c.path}'`;
    if (c.wave && (c.kind !== 'ecs-service' || c.route === 'direct')) {
      problems.push(`consumer '${c.path}' is chained for deploying in waves, but only ECS services that share the ceiling deploy in waves`);
    }
    if (c.route === 'direct' && c.pool.kind !== 'fixed') {
      problems.push(`direct consumer '${c.path}' needs a fixed pool`);
    }
    whole(what('processes'), c.connections.processes, 1, MAX_COUNT);
    whole(what('poolsPerProcess'), c.connections.poolsPerProcess, 1, MAX_COUNT);
    whole(what('overflowPerPool'), c.connections.overflowPerPool, 0, MAX_POOL_SIZE);
    if (c.pool.kind === 'fixed') {
      whole(what('pool size'), c.pool.size, 1, MAX_POOL_SIZE);
    } else {
      whole(what('pool min'), c.pool.min, 1, MAX_POOL_SIZE);
      whole(what('pool max'), c.pool.max, c.pool.min, MAX_POOL_SIZE);
      if (!(Number.isFinite(c.pool.weight) && c.pool.weight > 0 && c.pool.weight <= MAX_COUNT)) {
        problems.push(`${what('pool weight')} must be above 0 and at most ${MAX_COUNT}, got ${c.pool.weight}`);
      }
    }
    const shape = c.shape;
    if (shape?.kind === 'ecs-service') {
      whole(what('maxTasks'), shape.maxTasks, 0, MAX_COUNT);
      if (shape.deployment.kind === 'rolling') whole(what('maximumPercent'), shape.deployment.maximumPercent, 0, MAX_COUNT);
    } else if (shape?.kind === 'lambda-function') {
      whole(what('maxConcurrency'), shape.maxConcurrency, 0, MAX_COUNT);
    } else if (shape?.kind === 'ecs-task') {
      whole(what('maxConcurrentRuns'), shape.maxConcurrentRuns, 0, MAX_COUNT);
      whole(what('tasksPerRun'), shape.tasksPerRun, 0, MAX_COUNT);
    }
  }
  const capacity = input.capacity;
  const largest = MAX_SETTABLE_MAX_CONNECTIONS[capacity.engine];
  if (largest === undefined) {
    problems.push(`engine must be one of ${Object.keys(MAX_SETTABLE_MAX_CONNECTIONS).join(', ')}, got ${String(capacity.engine)}`);
  } else {
    if (capacity.maxConnections !== undefined) whole('maxConnections', capacity.maxConnections, 1, largest);
    for (const instance of capacity.instances) {
      if (instance.parameterGroupMaxConnections !== undefined) whole(`max_connections of '${instance.path}'`, instance.parameterGroupMaxConnections, 1, largest);
      for (const [name, value] of Object.entries(instance.limitParameters ?? {})) whole(`${name} of '${instance.path}'`, value, 0, largest);
    }
  }
  for (const r of capacity.reservations) {
    whole(`connections of reservation '${r.name}'`, r.connections, 0, LARGEST_MAX_CONNECTIONS);
    if (r.share) {
      whole(`min of reservation '${r.name}'`, r.share.min, 0, LARGEST_MAX_CONNECTIONS);
      whole(`max of reservation '${r.name}'`, r.share.max, Math.max(1, r.share.min), LARGEST_MAX_CONNECTIONS);
      if (!(r.share.weight > 0 && r.share.weight <= MAX_COUNT)) problems.push(`weight of reservation '${r.name}' must be above 0 and at most ${MAX_COUNT}, got ${r.share.weight}`);
    }
  }
  whole('directDemand', capacity.directDemand ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const percent = capacity.proxy?.maxConnectionsPercent;
  if (percent !== undefined) whole('MaxConnectionsPercent', percent, 1, 100);
  if (!(input.warningThresholdPercent > 0 && input.warningThresholdPercent <= 100)) {
    problems.push(`warningThresholdPercent must be above 0 and at most 100, got ${input.warningThresholdPercent}`);
  }
  if (problems.length > 0) {
    throw new Error(`evaluateBudget: invalid input for budget '${input.path}': ${problems.join('; ')}`);
  }
}
