import * as fc from 'fast-check';
import {
  assembleRecords, budgetRecord, consumerRecord, decodeIntrinsics, encodeIntrinsics, LedgerFormatError, parseBudgetRecord, parseConsumerRecords,
  RECORD_SCHEMA, RECORD_SCHEMA_VERSION, recordDigest,
} from '../../lib/budget';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from './fixtures';

// ceiling floor(400 × 90 %) − 5 = 355; two services in stack 'Web'.
const ledger = ledgerOf(budget(postgresBehindProxy(400, 90), [
  ecsService('Web/Api', { maxTasks: 4, pool: 10 }), ecsService('Web/Worker', { maxTasks: 2, pool: { kind: 'share', weight: 1, min: 1, max: 20 } }),
]));
const found = ledger.consumers.map((c) => ({ path: c.path, resource: c.inputs!.resource, record: consumerRecord(c, ledger.inputs!.waves) }));

describe('records', () => {
  test('the budget\'s record holds its inputs and where each consumer\'s record is, and no figure', () => {
    const record = budgetRecord(ledger);
    expect(record).toEqual({
      schema: RECORD_SCHEMA, schemaVersion: RECORD_SCHEMA_VERSION, budgetPath: 'Data/Budget', inputs: ledger.inputs,
      consumers: { 'Web/Api': { stack: 'Web', stackName: 'Web' }, 'Web/Worker': { stack: 'Web', stackName: 'Web' } },
      figures: { demand: ledger.totals.demand, required: ledger.totals.required, ceiling: 355, reserved: 0 },
    });
  });

  test('a consumer\'s record holds its request and the worst case computed from it, not its derived pool', () => {
    expect(found[1].record).toMatchObject({ kind: 'ecs-service', route: 'proxy', pool: { kind: 'share', weight: 1, min: 1, max: 20 }, inWaves: false, demand: ledger.consumers[1].demand });
    expect(JSON.stringify(found[1].record)).not.toContain('"size"');
  });

  test('assembled back, they give the ledger\'s inputs, consumer by consumer', () => {
    const assembled = assembleRecords(budgetRecord(ledger), found);
    expect(assembled.missing).toEqual([]);
    expect(assembled.inputs).toEqual(ledger.inputs);
    expect(assembled.consumers).toEqual(ledger.consumers.map((c) => ({
      path: c.path, kind: c.kind, route: c.route, connections: c.connections, pool: { request: c.pool.request }, inputs: c.inputs, demand: c.demand,
    })));
  });

  test('a consumer whose record is not found is missing, with the stack that should hold it', () => {
    expect(assembleRecords(budgetRecord(ledger), found.slice(0, 1)).missing).toEqual([{ path: 'Web/Worker', stack: 'Web', stackName: 'Web' }]);
  });

  test('a consumer\'s record holds the digest of the rest of it: the same whatever the order of its keys, another for another record', () => {
    const { record } = found[0];
    expect(record.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(recordDigest(record)).toBe(record.digest);
    expect(recordDigest(Object.fromEntries(Object.entries(record).reverse()) as typeof record)).toBe(record.digest);
    expect(recordDigest({ ...record, pool: { kind: 'fixed', size: 9 } })).not.toBe(record.digest);
  });

  test('a record\'s digest depends on what it holds, never on the order of any object\'s keys', () => {
    const reversed = (v: unknown): unknown => (Array.isArray(v) ? v.map(reversed)
      : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v);
    const asRecord = (extra: unknown) => ({ ...found[0].record, extra }) as unknown as typeof found[0]['record'];
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(recordDigest(asRecord(reversed(value)))).toBe(recordDigest(asRecord(value)));
      expect(recordDigest(asRecord([value]))).not.toBe(recordDigest(asRecord(value)));
    }));
  });

  test('a record whose content does not give its digest is edited; one without a digest, written before them, is not checked', () => {
    const changed = [found[0], { ...found[1], record: { ...found[1].record, connections: { ...found[1].record.connections, processes: 3 } } }];
    // The worst case is compared by itself, and leaves the digest as it is.
    expect(recordDigest({ ...found[1].record, demand: 1 })).toBe(found[1].record.digest);
    expect(assembleRecords(budgetRecord(ledger), found).edited()).toEqual([]);
    expect(assembleRecords(budgetRecord(ledger), changed).edited()).toEqual([{
      path: 'Web/Worker', resource: found[1].resource, held: found[1].record.digest, computed: recordDigest(changed[1].record),
    }]);
    const { digest: _digest, ...older } = changed[1].record;
    expect(assembleRecords(budgetRecord(ledger), [found[0], { ...found[1], record: older }]).edited()).toEqual([]);
    const records = { schema: RECORD_SCHEMA, schemaVersion: 1, budgets: { 'Data/Budget': { 'Web/Api': { ...found[0].record, digest: 'xyz' } } } };
    expect(() => parseConsumerRecords(records, 'the record Z')).toThrow(new LedgerFormatError(
      "the record Z is not a valid version 1 record: budgets['Data/Budget']['Web/Api'].digest must be 16 hexadecimal digits when present."));
  });

  test('a record that is not of this version, or lacks a number, is refused with where and why', () => {
    expect(() => parseBudgetRecord({ ...budgetRecord(ledger), schemaVersion: 2 }, 'the record X')).toThrow(new LedgerFormatError(
      'the record X has record schema version 2, but this connection-budget reads version 1. Run the connection-budget CLI of the library version that synthesized it.'));
    const records = { schema: RECORD_SCHEMA, schemaVersion: 1, budgets: { 'Data/Budget': { 'Web/Api': { ...found[0].record, connections: { processes: 0, poolsPerProcess: 1, overflowPerPool: 0 } } } } };
    expect(() => parseConsumerRecords(records, 'the record Y')).toThrow(new LedgerFormatError(
      "the record Y is not a valid version 1 record: budgets['Data/Budget']['Web/Api'].connections.processes must be a whole number from 1 to 1000000, got 0."));
  });
});

describe('a record\'s fields are checked before any reader uses them', () => {
  const consumerRecords = (edit: Record<string, unknown>) => ({
    schema: RECORD_SCHEMA, schemaVersion: 1, budgets: { 'Data/Budget': { 'Web/Api': { ...found[0].record, ...edit } } },
  });
  const where = "the record Y is not a valid version 1 record: budgets['Data/Budget']['Web/Api']";

  test('a preset whose names are not environment variable names is refused: the readers match those names in what deploys', () => {
    const preset = (p: object) => consumerRecords({ inputs: { ...found[0].record.inputs, preset: p } });
    expect(() => parseConsumerRecords(preset({ framework: 'generic', prefix: '(.+)+!' }), 'the record Y')).toThrow(new LedgerFormatError(
      `${where}.inputs.preset gives "(.+)+!_MAX" and 10 more, not environment variable names (letters, digits and underscores, not starting with a digit).`));
    expect(() => parseConsumerRecords(preset({ framework: 'pgx', variable: 'DB(' }), 'the record Y')).toThrow(new LedgerFormatError(
      `${where}.inputs.preset gives "DB(" and 5 more, not environment variable names (letters, digits and underscores, not starting with a digit).`));
    expect(() => parseConsumerRecords(preset({ framework: 'generic', prefix: 'APP_DB' }), 'the record Y')).not.toThrow();
  });

  test('a database user must be a name the database takes', () => {
    for (const [user, shown] of [['', '""'], [0, '0'], ['u'.repeat(64), `"${'u'.repeat(64)}"`]] as const) {
      expect(() => parseConsumerRecords(consumerRecords({ inputs: { ...found[0].record.inputs, databaseUser: user } }), 'the record Y')).toThrow(new LedgerFormatError(
        `${where}.inputs.databaseUser must be a database user's name of 1 to 63 characters, got ${shown}.`));
    }
    expect(() => parseConsumerRecords(consumerRecords({ inputs: { ...found[0].record.inputs, databaseUser: null } }), 'the record Y')).not.toThrow();
  });

  test('a number JSON cannot write is shown as itself', () => {
    expect(() => parseConsumerRecords(consumerRecords({ connections: { processes: Infinity, poolsPerProcess: 1, overflowPerPool: 0 } }), 'the record Y')).toThrow(new LedgerFormatError(
      `${where}.connections.processes must be a whole number from 1 to 1000000, got Infinity.`));
  });

  test('the budget\'s record says whether the proxy\'s percent is derived, and names each reservation\'s database user', () => {
    const record = budgetRecord(ledger);
    const { derivedPercent: _derived, ...proxy } = record.inputs.proxy!;
    expect(() => parseBudgetRecord({ ...record, inputs: { ...record.inputs, proxy } }, 'the record X')).toThrow(new LedgerFormatError(
      'the record X is not a valid version 1 record: inputs.proxy.derivedPercent must be true or false.'));
    const reservations = [{ name: 'analytics', connections: 10, throughProxy: true, clients: [], databaseUser: 0 }];
    expect(() => parseBudgetRecord({ ...record, inputs: { ...record.inputs, reservations } }, 'the record X')).toThrow(new LedgerFormatError(
      'the record X is not a valid version 1 record: inputs.reservations[0].databaseUser must be a database user\'s name of 1 to 63 characters, got 0.'));
  });
});

describe('intrinsic functions in records', () => {
  test('are written as JSON text, which CloudFormation leaves alone, and read back as they were', () => {
    const value = { groups: [{ 'Fn::GetAtt': ['Group', 'GroupId'] }, { Ref: 'Other' }, 'sg-1'], nested: { 'Fn::ImportValue': 'X' }, plain: { a: 1 } };
    const encoded = encodeIntrinsics(value);
    expect(encoded).toEqual({
      groups: [{ intrinsicJson: '{"Fn::GetAtt":["Group","GroupId"]}' }, { intrinsicJson: '{"Ref":"Other"}' }, 'sg-1'],
      nested: { intrinsicJson: '{"Fn::ImportValue":"X"}' },
      plain: { a: 1 },
    });
    expect(decodeIntrinsics(encoded)).toEqual(value);
  });

  test('any JSON value survives the round trip, and no intrinsic is left in the encoded form', () => {
    const intrinsic = fc.oneof(fc.record({ Ref: fc.string() }), fc.record({ 'Fn::GetAtt': fc.tuple(fc.string(), fc.string()) }));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), intrinsic,
        fc.array(tie('node')), fc.dictionary(fc.string().filter((k) => k !== 'Ref' && !k.startsWith('Fn::') && k !== 'intrinsicJson'), tie('node'))),
    })).node;
    fc.assert(fc.property(value, (v) => {
      const encoded = encodeIntrinsics(v);
      expect(intrinsicsIn(encoded)).toEqual([]);
      expect(decodeIntrinsics(encoded)).toEqual(v);
    }), { seed: 20261128, numRuns: 200 });
  });
});

/** Every object of a JSON value that CloudFormation would read as an intrinsic function: one key, Ref or Fn::…. */
function intrinsicsIn(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(intrinsicsIn);
  if (value === null || typeof value !== 'object') return [];
  const keys = Object.keys(value);
  const self = keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::')) ? [value] : [];
  return [...self, ...Object.values(value).flatMap(intrinsicsIn)];
}
