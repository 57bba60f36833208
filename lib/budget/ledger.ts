import { Capacity, EngineKind, MaxConnectionsSource } from './capacity';
import { ConsumerKind, ConsumerShape, describePerInstance, InstanceBound, instanceBound } from './demand';
import { describeCeiling, describeMaxConnections } from './describe';
import { BudgetEvaluation, ConsumerResult, ProblemLevel } from './model';
import { PoolSettings } from './pool-settings';
import { PresetSpec, presetVariables } from './presets';
import { compareText, count, percent } from './text';

/**
 * The ledger: one budget as plain JSON, written into the template Metadata of the budget's stack and
 * read by the connection-budget CLI. The CLI reads nothing else, so this is a public contract:
 * a field is only ever added in a new schemaVersion, and readers refuse a version they do not know.
 * Every field is documented here and in the README ("Ledger schema"), which a test keeps in step.
 */
export const LEDGER_SCHEMA = 'cdk-connection-budget/ledger';
export const LEDGER_SCHEMA_VERSION = 1;

/** One computed budget. Unknown values are `null`, never absent. */
export interface LedgerJson {
  /** Always `cdk-connection-budget/ledger`. */
  readonly schema: typeof LEDGER_SCHEMA;
  /** 1 for this layout. */
  readonly schemaVersion: number;
  /** Construct path of the ConnectionBudget; unique in an app and the key a diff matches budgets on. */
  readonly budgetPath: string;
  /** From max_connections to the ceiling the consumers share; null when max_connections is unknown. */
  readonly capacity: LedgerCapacityJson | null;
  /** Every registered consumer, sorted by path. */
  readonly consumers: readonly LedgerConsumerJson[];
  readonly totals: LedgerTotalsJson;
  /** The budget's errors and warnings, errors first. */
  readonly problems: readonly LedgerProblemJson[];
}

/** The capacity breakdown. */
export interface LedgerCapacityJson {
  readonly engine: EngineKind;
  readonly maxConnections: {
    readonly value: number;
    /** budget-property, parameter-group, aurora-class-table, serverless-v2-table or memory-estimate. */
    readonly source: MaxConnectionsSource;
    /** What the value was read from: a parameter group path, an instance class. */
    readonly basis: string;
  };
  /** Slots the engine keeps for superusers and AWS automation. */
  readonly engineReserve: number;
  /** Named reservations, sorted by name. */
  readonly reservations: ReadonlyArray<{ readonly name: string; readonly connections: number; readonly throughProxy: boolean }>;
  readonly reservedTotal: number;
  readonly reservedThroughProxy: number;
  /** Worst case of the consumers that bypass the proxy. */
  readonly directDemand: number;
  /** max_connections − engine reserve − reservations − direct demand. */
  readonly usable: number;
  /** The RDS Proxy in front of the database; null without one. */
  readonly proxy: {
    readonly path: string;
    readonly maxConnectionsPercent: number;
    /** Whether the budget derived MaxConnectionsPercent (and wrote it into the proxy's target group). */
    readonly derived: boolean;
    /** floor(max_connections × MaxConnectionsPercent / 100). */
    readonly ceiling: number;
    /** Connections RDS Proxy is assumed to keep for itself. */
    readonly internalConnections: number;
  } | null;
  /** What the consumers that share it may use at most: the effective ceiling. */
  readonly ceiling: number;
  /** `proxy` or `database`: which of the two limits the ceiling. */
  readonly limitedBy: 'proxy' | 'database';
  /** The arithmetic in words, as synth messages print it. */
  readonly explanation: string;
}

/** One consumer: how its worst case arises and what it was given. */
export interface LedgerConsumerJson {
  /** Construct path of the service, task definition or function. */
  readonly path: string;
  /** ecs-service, ecs-task or lambda-function. */
  readonly kind: ConsumerKind;
  /** `proxy`, or `direct` for a consumer that bypasses the proxy. */
  readonly route: 'proxy' | 'direct';
  /** The deployed shape as read from the template (task bound and deployment model, concurrency, runs); null when a value is unknown. */
  readonly shape: ConsumerShape | null;
  /** The knob that bounds the consumer's instances, and its value; null when the shape is unknown. */
  readonly bound: InstanceBound | null;
  /** Instances holding connections in steady state and at the worst case; null when the shape is unknown. */
  readonly instances: { readonly steady: number; readonly peak: number; readonly explanation: string } | null;
  /** Multipliers per instance. */
  readonly connections: { readonly processes: number; readonly poolsPerProcess: number; readonly overflowPerPool: number };
  readonly pool: {
    /** What the consumer asked for: `{ kind: 'fixed', size }` or `{ kind: 'share', weight, min, max }`. */
    readonly request: { readonly kind: 'fixed'; readonly size: number } | { readonly kind: 'share'; readonly weight: number; readonly min: number; readonly max: number };
    /** The pool maximum delivered. */
    readonly size: number;
  };
  /** The settings delivered with the pool size (maxSize, minIdle, maxOverflow and the timeouts in ms) and the variables that carry them. */
  readonly poolSettings: PoolSettings & {
    /** The preset: generic, spring-boot-hikari, sqlalchemy, rails, node-postgres, pgx, npgsql, prisma or custom. */
    readonly framework: PresetSpec['framework'];
    /** Environment variable name → value, as delivered. */
    readonly variables: Readonly<Record<string, string>>;
  };
  /** processes × pools × (pool + overflow). */
  readonly connectionsPerInstance: number;
  /** Worst case: peak instances × connections per instance. */
  readonly demand: number;
  /** Steady instances × connections per instance. */
  readonly steadyDemand: number;
}

/** Budget totals; capacity-dependent figures are null when max_connections is unknown. */
export interface LedgerTotalsJson {
  /** Worst case of the consumers that share the ceiling. */
  readonly demand: number;
  readonly directDemand: number;
  readonly steadyDemand: number;
  /** Fixed pools plus every derived pool at its minimum. */
  readonly required: number;
  readonly ceiling: number | null;
  /** ceiling − demand. */
  readonly headroom: number | null;
  /** 100 × demand / ceiling, rounded to one decimal. */
  readonly utilizationPercent: number | null;
}

/** A finding of the budget's checks. */
export interface LedgerProblemJson {
  /** Stable check ID: CB-OVER-CAPACITY. */
  readonly id: string;
  readonly level: ProblemLevel;
  /** Path of the construct the problem is about. */
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
  /** Whether the warning was acknowledged in the app (Annotations.acknowledgeWarning); errors never are. */
  readonly acknowledged: boolean;
}

/** What the construct knows of a consumer beyond the evaluation: the preset and the settings it delivered. */
export interface LedgerPoolInput {
  readonly preset: PresetSpec;
  readonly settings: PoolSettings;
}

/**
 * The ledger of an evaluated budget. Deterministic: consumers and reservations come sorted from the
 * evaluation, and every object is rebuilt with sorted keys.
 */
export function buildLedger(
  evaluation: BudgetEvaluation,
  pools: ReadonlyMap<string, LedgerPoolInput>,
  acknowledgedIds: ReadonlySet<string>,
): LedgerJson {
  const { totals } = evaluation;
  const ledger: LedgerJson = {
    schema: LEDGER_SCHEMA,
    schemaVersion: LEDGER_SCHEMA_VERSION,
    budgetPath: evaluation.path,
    capacity: evaluation.capacity ? capacityJson(evaluation.capacity) : null,
    consumers: evaluation.consumers.map((c) => consumerJson(c, pools.get(c.input.path))),
    totals: {
      demand: totals.demand,
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
      acknowledged: p.level === 'warning' && acknowledgedIds.has(p.id),
    })),
  };
  return sortKeysDeep(ledger);
}

function capacityJson(capacity: Capacity): LedgerCapacityJson {
  return {
    engine: capacity.engine,
    maxConnections: { ...capacity.maxConnections },
    engineReserve: capacity.engineReserve,
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

function consumerJson(result: ConsumerResult, pool: LedgerPoolInput | undefined): LedgerConsumerJson {
  if (!pool) {
    throw new Error(`buildLedger: no pool settings for consumer '${result.input.path}'`);
  }
  const { input } = result;
  const settings = pool.settings;
  return {
    path: input.path,
    kind: input.kind,
    route: result.direct ? 'direct' : 'proxy',
    shape: input.shape ?? null,
    bound: input.shape ? instanceBound(input.shape) : null,
    instances: result.instances ? { ...result.instances } : null,
    connections: { ...input.connections },
    pool: { request: { ...input.pool }, size: result.poolSize },
    poolSettings: {
      framework: pool.preset.framework,
      ...settings,
      variables: Object.fromEntries(presetVariables(pool.preset).map((v) => [v.name, v.render(settings)])),
    },
    connectionsPerInstance: result.connectionsPerInstance,
    demand: result.demand,
    steadyDemand: result.steadyDemand,
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
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareText(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeysDeep(v)])) as T;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// The reviewer's view: `cdk diff --template` prints one line per template Metadata key,
// `[~] Metadata KEY: <old> to <new>` (design.md §6), so each key carries one short sentence.

/** Prefix of every template Metadata key the library writes. */
export const METADATA_KEY_PREFIX = 'ConnectionBudget';

/** Key of a budget's one-line summary. */
export function summaryMetadataKey(budgetPath: string): string {
  return `${METADATA_KEY_PREFIX}:${budgetPath}`;
}

/** Key of one consumer's line. */
export function consumerMetadataKey(budgetPath: string, consumerPath: string): string {
  return `${METADATA_KEY_PREFIX}:${budgetPath}:${consumerPath}`;
}

/** Prefix of the key of a budget's full machine ledger; readers find ledgers by it. */
export const LEDGER_METADATA_KEY_PREFIX = `${METADATA_KEY_PREFIX}Ledger:`;

/** Key of the full machine ledger (in the budget's stack only). */
export function ledgerMetadataKey(budgetPath: string): string {
  return `${LEDGER_METADATA_KEY_PREFIX}${budgetPath}`;
}

/**
 * `worst case 458 of 771 (59.4 %), headroom 313; max_connections 800 (set on the budget), proxy 97 % (derived); 1 warning: CB-NEAR-CAPACITY`.
 */
export function summaryLine(ledger: LedgerJson): string {
  const { totals, capacity } = ledger;
  const parts: string[] = [];
  if (capacity && totals.ceiling !== null) {
    parts.push(`worst case ${totals.demand} of ${totals.ceiling} (${percent(totals.utilizationPercent ?? 0)}), headroom ${totals.headroom}`);
    const proxy = capacity.proxy ? `, proxy ${capacity.proxy.maxConnectionsPercent} %${capacity.proxy.derived ? ' (derived)' : ''}` : '';
    parts.push(`${describeMaxConnections(capacity.maxConnections, capacity.engine)}${proxy}`);
  } else {
    parts.push(`worst case ${totals.demand}, max_connections unknown`);
  }
  if (totals.directDemand > 0) {
    parts.push(`${totals.directDemand} direct`);
  }
  const open = ledger.problems.filter((p) => !p.acknowledged);
  for (const level of ['error', 'warning'] as const) {
    const ids = open.filter((p) => p.level === level).map((p) => p.id);
    if (ids.length > 0) {
      parts.push(`${count(ids.length, level)}: ${[...new Set(ids)].join(', ')}`);
    }
  }
  return parts.join('; ');
}

/** `200 = 20 tasks × 1 process × 1 pool × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100`. */
export function consumerLine(consumer: LedgerConsumerJson): string {
  const route = consumer.route === 'direct' ? ', bypassing the proxy' : '';
  if (!consumer.instances) {
    return `unknown worst case (pool ${consumer.pool.size}${route})`;
  }
  const perInstance = describePerInstance(consumer.kind, consumer.connections, consumer.pool.size);
  const unit = consumer.kind === 'lambda-function' ? 'environment' : 'task';
  return `${consumer.demand} = ${count(consumer.instances.peak, unit)} × ${perInstance} (${consumer.instances.explanation}); steady ${consumer.steadyDemand}${route}`;
}

// ---------------------------------------------------------------------------------------------
// Reading ledgers back: input from files, so every field the CLI uses is checked before use.

/** A value that is not a ledger this code can read; the message says where and why. */
export class LedgerFormatError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'LedgerFormatError';
  }
}

/** Whether a value claims to be a ledger (any version): what a reader looks for among template Metadata. */
export function isLedgerLike(value: unknown): boolean {
  return isObject(value) && value.schema === LEDGER_SCHEMA;
}

/**
 * The ledger in `value`, checked: the schema version must be this one, and every field the CLI reads
 * must have its type. `where` names the source in messages: `ledger 'Data/Db/Budget' in cdk.out/Data.template.json`.
 */
export function parseLedger(value: unknown, where: string): LedgerJson {
  if (!isObject(value) || value.schema !== LEDGER_SCHEMA) {
    throw new LedgerFormatError(`${where} is not a connection budget ledger (no "schema": "${LEDGER_SCHEMA}").`);
  }
  if (value.schemaVersion !== LEDGER_SCHEMA_VERSION) {
    throw new LedgerFormatError(`${where} has ledger schema version ${JSON.stringify(value.schemaVersion)}, but this connection-budget `
      + `reads version ${LEDGER_SCHEMA_VERSION}. Run the connection-budget CLI of the library version that synthesized it.`);
  }
  const problems: string[] = [];
  const expect = (ok: boolean, field: string, wanted: string) => {
    if (!ok) {
      problems.push(`${field} must be ${wanted}`);
    }
  };
  expect(typeof value.budgetPath === 'string', 'budgetPath', 'a string');
  const capacity = value.capacity;
  expect(capacity === null || (isObject(capacity) && isObject(capacity.maxConnections) && isNumber(capacity.maxConnections.value)
    && isNumber(capacity.ceiling) && typeof capacity.engine === 'string' && typeof capacity.explanation === 'string'
    && Array.isArray(capacity.reservations) && (capacity.proxy === null || (isObject(capacity.proxy) && isNumber(capacity.proxy.maxConnectionsPercent)))),
  'capacity', 'null or an object with maxConnections.value, ceiling, engine, explanation, reservations and proxy');
  const totals = value.totals;
  expect(isObject(totals) && isNumber(totals.demand) && isNumber(totals.steadyDemand) && isNumber(totals.directDemand)
    && isNullableNumber(totals.ceiling) && isNullableNumber(totals.headroom) && isNullableNumber(totals.utilizationPercent),
  'totals', 'an object with demand, steadyDemand, directDemand, ceiling, headroom and utilizationPercent');
  if (Array.isArray(value.consumers)) {
    value.consumers.forEach((c: unknown, i) => expect(isObject(c) && typeof c.path === 'string' && typeof c.kind === 'string'
      && isNumber(c.demand) && isNumber(c.steadyDemand) && isNumber(c.connectionsPerInstance)
      && isObject(c.pool) && isNumber(c.pool.size) && isObject(c.connections)
      && (c.instances === null || (isObject(c.instances) && isNumber(c.instances.peak) && isNumber(c.instances.steady)))
      && isObject(c.poolSettings) && isObject(c.poolSettings.variables),
    `consumers[${i}]`, 'an object with path, kind, demand, steadyDemand, connectionsPerInstance, pool.size, connections, instances and poolSettings.variables'));
  } else {
    problems.push('consumers must be an array');
  }
  if (Array.isArray(value.problems)) {
    value.problems.forEach((p: unknown, i) => expect(isObject(p) && typeof p.id === 'string' && (p.level === 'error' || p.level === 'warning')
      && typeof p.message === 'string' && typeof p.fix === 'string' && typeof p.acknowledged === 'boolean',
    `problems[${i}]`, 'an object with id, level (error or warning), message, fix and acknowledged'));
  } else {
    problems.push('problems must be an array');
  }
  if (problems.length > 0) {
    throw new LedgerFormatError(`${where} is not a valid version ${LEDGER_SCHEMA_VERSION} ledger: ${problems.join('; ')}.`);
  }
  return value as unknown as LedgerJson;
}

function isObject(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNullableNumber(value: unknown): boolean {
  return value === null || isNumber(value);
}
