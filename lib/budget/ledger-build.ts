import { Capacity } from './capacity';
import { instanceBound } from './demand';
import { describeCeiling } from './describe';
import { LEDGER_SCHEMA, LEDGER_SCHEMA_VERSION, LedgerCapacityJson, LedgerConsumerInputsJson, LedgerConsumerJson, LedgerInputsJson, LedgerJson } from './ledger-schema';
import { BudgetEvaluation, ConsumerResult } from './model';
import { derivePoolSettings, PoolSettings } from './pool-settings';
import { presetVariables } from './presets';
import { startupStorm } from './startup';
import { compareText, sortText } from './text';

/** What a ledger records beyond the evaluation: the inputs the templates cannot say. */
export interface LedgerInputs {
  readonly budget: LedgerInputsJson;
  /** By consumer path. */
  readonly consumers: ReadonlyMap<string, LedgerConsumerInputsJson>;
}

/**
 * The ledger of an evaluated budget. Deterministic: consumers and reservations come sorted from the
 * evaluation, and every object is rebuilt with sorted keys.
 */
export function buildLedger(evaluation: BudgetEvaluation, inputs: LedgerInputs): LedgerJson {
  const { totals } = evaluation;
  const acknowledged = new Set(inputs.budget.acknowledged);
  const ledger: LedgerJson = {
    schema: LEDGER_SCHEMA,
    schemaVersion: LEDGER_SCHEMA_VERSION,
    budgetPath: evaluation.path,
    inputs: { ...inputs.budget, waves: inputs.budget.waves ?? null, acknowledged: [...acknowledged].sort(compareText) },
    capacity: evaluation.capacity ? capacityJson(evaluation.capacity) : null,
    consumers: evaluation.consumers.map((c) => consumerJson(c, evaluation.capacity, inputs.consumers.get(c.input.path))),
    totals: {
      demand: totals.demand,
      uncreditedDemand: totals.uncreditedDemand,
      chains: totals.chains.map((c) => ({ chain: c.chain, services: [...c.services], largest: c.largest ? { ...c.largest } : null })),
      directDemand: totals.directDemand,
      steadyDemand: totals.steadyDemand,
      required: totals.required,
      ceiling: totals.ceiling ?? null,
      headroom: totals.headroom ?? null,
      utilizationPercent: totals.utilizationPercent === undefined ? null : roundTenth(totals.utilizationPercent),
    },
    problems: evaluation.problems.map((p) => ({
      id: p.id,
      level: p.level,
      subject: p.subject,
      message: p.message,
      fix: p.fix,
      acknowledged: p.level === 'warning' && acknowledged.has(p.id),
    })),
    startup: startupStorm(evaluation.consumers, (c) => {
      const consumerInputs = inputs.consumers.get(c.input.path)!;
      return { preset: consumerInputs.preset, minIdle: consumerPoolSettings(c, evaluation.capacity, consumerInputs).minIdle };
    }),
  };
  return sortKeysDeep(ledger);
}

/** The settings a consumer's pool is delivered with: its size and overflow, its options, the proxy's idle timeout. */
export function consumerPoolSettings(result: ConsumerResult, capacity: Capacity | undefined, inputs: LedgerConsumerInputsJson): PoolSettings {
  return derivePoolSettings({
    poolSize: result.poolSize,
    overflowPerPool: result.input.connections.overflowPerPool,
    minIdle: inputs.minIdleConnections ?? undefined,
    acquireTimeoutMs: inputs.acquireTimeoutMs ?? undefined,
    proxyIdleClientTimeoutSeconds: result.direct ? undefined : capacity?.proxy?.idleClientTimeoutSeconds ?? capacity?.allocation?.proxyIdleClientTimeoutSeconds,
  });
}

/** The variables a consumer's pool is delivered in, by name, as its ledger entry lists them. */
export function deliveredVariables(result: ConsumerResult, capacity: Capacity | undefined, inputs: LedgerConsumerInputsJson): Record<string, string> {
  return sortKeysDeep(presetVariableValues(inputs, consumerPoolSettings(result, capacity, inputs)));
}

function presetVariableValues(inputs: LedgerConsumerInputsJson, settings: PoolSettings): Record<string, string> {
  return Object.fromEntries(presetVariables(inputs.preset).map((v) => [v.name, v.render(settings)]));
}

function capacityJson(capacity: Capacity): LedgerCapacityJson {
  return {
    engine: capacity.engine,
    maxConnections: { ...capacity.maxConnections },
    engineReserve: capacity.engineReserve,
    engineReserveBasis: capacity.engineReserveBasis ?? null,
    userConnectionLimit: capacity.userConnectionLimit ?? null,
    reservations: capacity.reservations.map((r) => ({ name: r.name, connections: r.connections, throughProxy: r.throughProxy === true })),
    reservedTotal: capacity.reservedTotal,
    reservedThroughProxy: capacity.reservedThroughProxy,
    directDemand: capacity.directDemand,
    usable: capacity.usable,
    proxy: capacity.proxy ? { ...capacity.proxy } : null,
    ceiling: capacity.effectiveCeiling,
    limitedBy: capacity.limitedBy,
    explanation: describeCeiling(capacity),
  };
}

function consumerJson(result: ConsumerResult, capacity: Capacity | undefined, inputs: LedgerConsumerInputsJson | undefined): LedgerConsumerJson {
  if (!inputs) {
    throw new Error(`buildLedger: no inputs for consumer '${result.input.path}'`);
  }
  const { input } = result;
  const settings = consumerPoolSettings(result, capacity, inputs);
  return {
    path: input.path,
    kind: input.kind,
    route: result.direct ? 'direct' : 'proxy',
    inputs,
    shape: input.shape ?? null,
    bound: input.shape ? instanceBound(input.shape) : null,
    instances: result.instances ? { ...result.instances } : null,
    connections: { ...input.connections },
    pool: { request: { ...input.pool }, size: result.poolSize },
    poolSettings: { framework: inputs.preset.framework, ...settings, variables: presetVariableValues(inputs, settings) },
    connectionsPerInstance: result.connectionsPerInstance,
    demand: result.demand,
    steadyDemand: result.steadyDemand,
    wave: input.wave ? { ...input.wave } : null,
  };
}

function roundTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A copy with every object's keys in code-point order (arrays keep their order): same data, same bytes. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map(sortKeysDeep) as unknown as T;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const sorted: Record<string, unknown> = {};
    for (const key of sortText(Object.keys(object))) {
      if (object[key] === undefined) continue;
      // Assigning '__proto__' would set the prototype: a key of that name (from a template) stays a key.
      if (key === '__proto__') Object.defineProperty(sorted, key, { value: sortKeysDeep(object[key]), enumerable: true, writable: true, configurable: true });
      else sorted[key] = sortKeysDeep(object[key]);
    }
    return sorted as T;
  }
  return value;
}
