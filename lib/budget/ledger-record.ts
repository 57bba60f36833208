/* eslint-disable @typescript-eslint/no-explicit-any -- the checker reads untyped JSON, field by field, before anything trusts it */
import { hash } from 'crypto';
import { ConsumerKind } from './demand';
import { LEDGER_SCHEMA_VERSION, LedgerConsumerInputsJson, LedgerConsumerJson, LedgerInputsJson, LedgerJson, LedgerResourceJson, PoolRequestJson } from './ledger-schema';
import { sortKeysDeep } from './ledger-build';
import { Checker, checkConsumerInputs, checkInputs, isObject, LedgerFormatError } from './ledger-parse';
import { compareText, sortByText, sortText } from './text';

/*
 * What the templates store of a budget since record schema 1: only what they cannot say themselves, spread over the
 * resources it is about, so the budget's own stack grows by a path per consumer and `cdk diff` shows a change to it
 * as a tree of short lines. The full ledger (every figure, every problem) is rebuilt from the templates and these
 * records by the template readers, at synthesis and in the CLI.
 *
 * - The budget's record, on a resource of the budget's own (`<budget>/Record`): its inputs, and the paths of its consumers.
 * - Each consumer's record, on the consumer's own resource (its ECS service, task definition or Lambda function): its
 *   pool request, preset, processes and pools, container, bounds and database user.
 */

/** Resource Metadata key of every record. */
export const RECORD_METADATA_KEY = 'ConnectionBudget';
export const RECORD_SCHEMA = 'cdk-connection-budget/record';
export const RECORD_SCHEMA_VERSION = 1;

/** A budget's record: its inputs (without the waves' services, which the consumers' records mark) and its consumers' paths. */
export interface BudgetRecordJson {
  readonly schema: typeof RECORD_SCHEMA;
  readonly schemaVersion: number;
  readonly budgetPath: string;
  readonly inputs: LedgerInputsJson;
  /**
   * Its consumers by construct path, each with the stack whose template holds its record: a consumer whose record is
   * not found is missing (its stack not given, or its record removed), never absent.
   */
  readonly consumers: Readonly<Record<string, RecordStackJson>>;
  /**
   * What the budget computed from them, compared with what the readers rebuild: an edit of an input the templates
   * cannot say (a reservation, a consumer's processes) that changes no figure the templates show is caught by these.
   */
  readonly figures: { readonly demand: number; readonly required: number; readonly ceiling: number | null; readonly reserved: number | null };
}

/** A stack by its construct path and its CloudFormation name. */
export interface RecordStackJson {
  readonly stack: string;
  readonly stackName: string;
}

/** One consumer's record: what its resource's template cannot say. */
export interface ConsumerRecordJson {
  readonly kind: ConsumerKind;
  readonly route: 'proxy' | 'direct';
  readonly connections: LedgerConsumerJson['connections'];
  readonly pool: PoolRequestJson;
  readonly inputs: Omit<LedgerConsumerInputsJson, 'resource'>;
  /** Whether the budget chained the consumer's service to deploy in waves. */
  readonly inWaves: boolean;
  /** The worst case the budget computed for it, compared with the rebuilt one. */
  readonly demand: number;
  /**
   * The digest of the record but its worst case, as the budget wrote it (recordDigest): a record edited by hand is named
   * as such, instead of showing only as the other consumers' shares moving. Absent from records written before it was added.
   */
  readonly digest?: string;
}

/** How many hexadecimal digits of SHA-256 a record's digest keeps: enough to tell an edit from the record written. */
const RECORD_DIGEST_HEX_DIGITS = 16;
const RECORD_DIGEST = new RegExp(`^[0-9a-f]{${RECORD_DIGEST_HEX_DIGITS}}$`);

/**
 * The digest of a consumer's record but its worst case: of its JSON with every object's keys sorted. The worst case is
 * left out because the readers compare it by itself, and so that a change of it alone (more tasks, a share that moved)
 * moves no digest in `cdk diff`: a digest there changes only with what the consumer was registered with.
 */
export function recordDigest(record: ConsumerRecordJson): string {
  const { digest: _digest, demand: _demand, ...rest } = record;
  // One-shot: a Hash object per record cost more than hashing its few hundred bytes (a diff at 1,000 consumers digests 2,000).
  return hash('sha256', JSON.stringify(sortKeysDeep(rest)), 'hex').slice(0, RECORD_DIGEST_HEX_DIGITS);
}

/** The Metadata value on a consumer's resource: its records, by budget path, then by consumer path (a task may hold several). */
export interface ConsumerRecordsJson {
  readonly schema: typeof RECORD_SCHEMA;
  readonly schemaVersion: number;
  readonly budgets: Readonly<Record<string, Readonly<Record<string, ConsumerRecordJson>>>>;
}

/** The budget's record of a ledger. */
export function budgetRecord(ledger: LedgerJson): BudgetRecordJson {
  const inputs = ledger.inputs!;
  return {
    schema: RECORD_SCHEMA,
    schemaVersion: RECORD_SCHEMA_VERSION,
    budgetPath: ledger.budgetPath,
    inputs: { ...inputs, waves: inputs.waves ? { services: [] } : null },
    consumers: Object.fromEntries(sortByText(ledger.consumers, (c) => c.path)
      .map((c) => [c.path, { stack: c.inputs!.resource.stack, stackName: c.inputs!.resource.stackName }])),
    figures: { demand: ledger.totals.demand, required: ledger.totals.required, ceiling: ledger.totals.ceiling, reserved: ledger.capacity?.reservedTotal ?? null },
  };
}

/** A consumer's record, from its ledger entry and the budget's waves. */
export function consumerRecord(consumer: LedgerConsumerJson, waves: LedgerInputsJson['waves']): ConsumerRecordJson {
  const { resource: _resource, ...inputs } = consumer.inputs!;
  const record: ConsumerRecordJson = {
    kind: consumer.kind,
    route: consumer.route,
    connections: consumer.connections,
    pool: consumer.pool.request,
    inputs,
    inWaves: (waves?.services ?? []).some((s) => s.path === consumer.path),
    demand: consumer.demand,
  };
  return { ...record, digest: recordDigest(record) };
}

/** A consumer's record as a reader found it: where it is, and what it says. */
export interface FoundConsumerRecord {
  readonly path: string;
  readonly resource: LedgerResourceJson;
  readonly record: ConsumerRecordJson;
}

/**
 * A budget's stored inputs, assembled from its records, in the shape of a ledger whose figures are unknown: what the
 * template readers rebuild a ledger from. Consumers the budget names whose records were not found are `missing`.
 */
export interface AssembledRecords {
  readonly budgetPath: string;
  readonly inputs: LedgerInputsJson;
  readonly consumers: ReadonlyArray<{
    readonly path: string;
    readonly kind: ConsumerKind;
    readonly route: 'proxy' | 'direct';
    readonly connections: LedgerConsumerJson['connections'];
    readonly pool: { readonly request: PoolRequestJson };
    readonly inputs: LedgerConsumerInputsJson;
    /** The worst case the budget computed for it. */
    readonly demand: number;
  }>;
  /** What the budget computed in all. */
  readonly figures: BudgetRecordJson['figures'];
  /** The consumers whose records were not found, with the stack that should hold each. */
  readonly missing: ReadonlyArray<{ readonly path: string } & RecordStackJson>;
  /** Consumer records of this budget that its own record does not name (an edit of either, or a half-deployed change). */
  readonly unnamed: ReadonlyArray<{ readonly path: string; readonly resource: LedgerResourceJson }>;
  /**
   * The consumers' records whose content does not give the digest they hold: edited after synthesis. A function, as it
   * computes a digest per record: the readers ask once per read, and the records a budget computes never need it.
   */
  readonly edited: () => ReadonlyArray<{ readonly path: string; readonly resource: LedgerResourceJson; readonly held: string; readonly computed: string }>;
}

export function assembleRecords(budget: BudgetRecordJson, found: readonly FoundConsumerRecord[]): AssembledRecords {
  const byPath = new Map(found.map((f) => [f.path, f]));
  const named = sortText(Object.keys(budget.consumers));
  const present = named.flatMap((path) => (byPath.has(path) ? [byPath.get(path)!] : []));
  const waves = budget.inputs.waves
    ? { services: present.filter((f) => f.record.inWaves).map((f) => ({ path: f.path, resource: f.resource })) }
    : null;
  return {
    budgetPath: budget.budgetPath,
    inputs: { ...budget.inputs, waves },
    consumers: present.map((f) => ({
      path: f.path,
      kind: f.record.kind,
      route: f.record.route,
      connections: f.record.connections,
      pool: { request: f.record.pool },
      inputs: { ...f.record.inputs, resource: f.resource },
      demand: f.record.demand,
    })),
    figures: budget.figures,
    missing: named.filter((path) => !byPath.has(path)).map((path) => ({ path, ...budget.consumers[path] })),
    unnamed: found.filter((f) => !Object.prototype.hasOwnProperty.call(budget.consumers, f.path)).map((f) => ({ path: f.path, resource: f.resource }))
      .sort((a, b) => compareText(a.path, b.path)),
    edited: () => present.flatMap((f) => {
      const held = f.record.digest;
      if (held === undefined) return [];
      const computed = recordDigest(f.record);
      return computed === held ? [] : [{ path: f.path, resource: f.resource, held, computed }];
    }),
  };
}

/**
 * CloudFormation interprets intrinsic functions (Ref, Fn::GetAtt, ...) in a resource's Metadata attribute
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-metadata.html), and a reference to a
 * resource of another stack would fail the deployment. A record holds such values as the app rendered them (a security
 * group's `{ "Fn::GetAtt": [...] }`), so each is written as JSON text under this key, and read back from it.
 */
const INTRINSIC_TEXT_KEY = 'intrinsicJson';

/**
 * What CloudFormation would interpret in Metadata: a `Condition` reference too, which template readers
 * (values.ts's isIntrinsic) take as a property of that name.
 */
function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'));
}

/** The value with every intrinsic function in it written as JSON text, which CloudFormation leaves alone. */
export function encodeIntrinsics<T>(value: T): T {
  return mapObjects(value, (o) => (isIntrinsic(o) ? { [INTRINSIC_TEXT_KEY]: JSON.stringify(o) } : undefined));
}

/** The value as encodeIntrinsics received it. */
export function decodeIntrinsics<T>(value: T): T {
  // The key is tested before the keys are listed: a record has a thousand objects and few intrinsics.
  return mapObjects(value, (o) => (typeof o[INTRINSIC_TEXT_KEY] === 'string' && Object.prototype.hasOwnProperty.call(o, INTRINSIC_TEXT_KEY) && Object.keys(o).length === 1 ? JSON.parse(o[INTRINSIC_TEXT_KEY] as string) : undefined));
}

/**
 * A JSON value with each object `replace` gives a value for replaced (its children are not visited then). What has
 * nothing replaced in it is returned as it is, not copied: a budget of 1,000 consumers reads 1,000 records.
 */
function mapObjects<T>(value: T, replace: (o: Record<string, unknown>) => unknown): T {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    // Plain loops, without a callback or a list of keys per object: a diff at 1,000 consumers walks 2,000 records.
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const mapped = mapObjects(v, replace);
      if (mapped !== v) (copy ??= [...value])[i] = mapped;
    }
    return (copy ?? value) as unknown as T;
  }
  if (!isObject(value)) return value;
  const replaced = replace(value);
  if (replaced !== undefined) return replaced as T;
  const object: Record<string, unknown> = value;
  let copy: Record<string, unknown> | undefined;
  // Own enumerable keys, in Object.keys's order.
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
    const v = object[key];
    const mapped = mapObjects(v, replace);
    if (mapped !== v) (copy ??= { ...object })[key] = mapped;
  }
  return (copy ?? value) as T;
}

/** A budget's record, checked; `where` names it in messages. */
export function parseBudgetRecord(value: unknown, where: string): BudgetRecordJson {
  const c = checkVersion(value, where);
  const record = value as Record<string, any>;
  c.text(record, 'budgetPath');
  // A record stores the inputs of the latest ledger schema.
  checkInputs(c, record.inputs, LEDGER_SCHEMA_VERSION);
  c.object(record, 'consumers', (consumers) => {
    for (const [path, stack] of Object.entries(consumers)) {
      if (!isObject(stack) || typeof stack.stack !== 'string' || typeof stack.stackName !== 'string') {
        c.fail(`consumers['${path}'] must be an object with stack and stackName`);
      }
    }
  });
  c.object(record, 'figures', (f) => {
    c.number(f, 'demand', 'figures');
    c.number(f, 'required', 'figures');
    c.nullableNumber(f, 'ceiling', 'figures');
    c.nullableNumber(f, 'reserved', 'figures');
  });
  finish(c, where);
  return decoded(record as BudgetRecordJson, where);
}

/** The consumer records on one resource, checked; `where` names the resource in messages. */
export function parseConsumerRecords(value: unknown, where: string): ConsumerRecordsJson {
  const c = checkVersion(value, where);
  const records = value as Record<string, any>;
  c.object(records, 'budgets', (budgets) => {
    for (const [budgetPath, consumers] of Object.entries(budgets)) {
      if (!isObject(consumers)) {
        c.fail(`budgets['${budgetPath}'] must be an object`);
        continue;
      }
      for (const [path, consumer] of Object.entries(consumers)) checkConsumerRecord(c, consumer, `budgets['${budgetPath}']['${path}']`);
    }
  });
  finish(c, where);
  return decoded(records as ConsumerRecordsJson, where);
}

function checkVersion(value: unknown, where: string): Checker {
  if (!isObject(value) || value.schema !== RECORD_SCHEMA) {
    throw new LedgerFormatError(`${where} is not a connection budget record (no "schema": "${RECORD_SCHEMA}").`);
  }
  if (value.schemaVersion !== RECORD_SCHEMA_VERSION) {
    throw new LedgerFormatError(`${where} has record schema version ${JSON.stringify(value.schemaVersion)}, but this connection-budget reads version `
      + `${RECORD_SCHEMA_VERSION}. Run the connection-budget CLI of the library version that synthesized it.`);
  }
  return new Checker();
}

function checkConsumerRecord(c: Checker, consumer: unknown, at: string): void {
  if (!isObject(consumer)) {
    c.fail(`${at} must be an object`);
    return;
  }
  c.oneOf(consumer, 'kind', ['ecs-service', 'ecs-task', 'lambda-function'], at);
  c.oneOf(consumer, 'route', ['proxy', 'direct'], at);
  c.boolean(consumer, 'inWaves', at);
  c.number(consumer, 'demand', at);
  if (consumer.digest !== undefined && (typeof consumer.digest !== 'string' || !RECORD_DIGEST.test(consumer.digest))) {
    c.fail(`${at}.digest must be ${RECORD_DIGEST_HEX_DIGITS} hexadecimal digits when present`);
  }
  c.connections(consumer, at);
  c.object(consumer, 'pool', (request) => c.poolRequest(request, `${at}.pool`), at);
  checkConsumerInputs(c, consumer.inputs, `${at}.inputs`, false);
}

/** A checked record with its intrinsic functions read back; text that is not JSON is the record's fault, not a bug. */
function decoded<T>(record: T, where: string): T {
  try {
    return decodeIntrinsics(record);
  } catch (e) {
    // Running out of stack is the record's nesting, not its text: the readers report how deep the template nests.
    if (!(e instanceof SyntaxError)) throw e;
    throw new LedgerFormatError(`${where} is not a valid version ${RECORD_SCHEMA_VERSION} record: an intrinsicJson value is not JSON (${e.message}).`);
  }
}

function finish(c: Checker, where: string): void {
  if (c.problems.length > 0) {
    throw new LedgerFormatError(`${where} is not a valid version ${RECORD_SCHEMA_VERSION} record: ${c.problems.join('; ')}.`);
  }
}
