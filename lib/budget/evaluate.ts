import { allocate, AllocationRequest } from './allocation';
import { computeCapacity, resolveMaxConnections } from './capacity';
import { runChecks } from './checks';
import { connectionsPerInstance, instanceCounts } from './demand';
import { BudgetEvaluation, BudgetInput, ConsumerInput, ConsumerResult, Totals } from './model';
import { compareText } from './text';

/**
 * Computes a budget: capacity, each consumer's pool size and worst-case demand, totals and problems.
 * Pure and deterministic: the same input, in any consumer order, gives the same evaluation.
 */
export function evaluateBudget(input: BudgetInput): BudgetEvaluation {
  const consumers = [...input.consumers].sort((a, b) => compareText(a.path, b.path));
  assertValid(input, consumers);

  const instances = new Map(consumers.map((c) => [c.path, c.shape && instanceCounts(c.shape)]));
  const peakOf = (c: ConsumerInput) => instances.get(c.path)?.peak ?? 0;
  const isDirect = (c: ConsumerInput) => input.capacity.proxy !== undefined && c.route === 'direct';
  const directDemand = sum(consumers.filter(isDirect).map((c) => peakOf(c) * connectionsPerInstance(c.connections, fixedSize(c))));

  const maxConnections = resolveMaxConnections(input.capacity);
  const capacity = maxConnections && computeCapacity({ ...input.capacity, directDemand: (input.capacity.directDemand ?? 0) + directDemand }, maxConnections);
  const requests: AllocationRequest[] = consumers.filter((c) => !isDirect(c)).map((c) => {
    const perUnit = peakOf(c) * c.connections.processes * c.connections.poolsPerProcess;
    return { id: c.path, connectionsPerPoolUnit: perUnit, fixedConnections: perUnit * c.connections.overflowPerPool, pool: c.pool };
  });
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
  const demand = sum(shared.map((r) => r.demand));
  const ceiling = capacity?.effectiveCeiling;
  const totals: Totals = {
    demand,
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

/** Inputs come from the constructs, which validate user props with friendly errors; this guards the core's contract. */
function assertValid(input: BudgetInput, consumers: readonly ConsumerInput[]): void {
  const positive = (n: number) => Number.isInteger(n) && n >= 1;
  for (let i = 1; i < consumers.length; i++) {
    if (consumers[i].path === consumers[i - 1].path) {
      throw new Error(`evaluateBudget: consumer '${consumers[i].path}' is registered twice in budget '${input.path}'`);
    }
  }
  for (const c of consumers) {
    if (c.route === 'direct' && c.pool.kind !== 'fixed') {
      throw new Error(`evaluateBudget: direct consumer '${c.path}' needs a fixed pool`);
    }
    const { processes, poolsPerProcess, overflowPerPool } = c.connections;
    if (!positive(processes) || !positive(poolsPerProcess) || !Number.isInteger(overflowPerPool) || overflowPerPool < 0) {
      throw new Error(`evaluateBudget: invalid connection shape for '${c.path}': ${JSON.stringify(c.connections)}`);
    }
  }
  const percent = input.capacity.proxy?.maxConnectionsPercent;
  if (percent !== undefined && !(Number.isInteger(percent) && percent >= 1 && percent <= 100)) {
    throw new Error(`evaluateBudget: MaxConnectionsPercent must be a whole number from 1 to 100, got ${percent}`);
  }
}
