/* eslint-disable @typescript-eslint/no-explicit-any -- the checker reads untyped JSON, field by field, before anything trusts it */
import { ENGINE_NAMES, MAX_CONNECTIONS_SOURCES } from './capacity';
import {
  LEDGER_SCHEMA, LEDGER_SCHEMA_VERSION, LEDGER_SCHEMA_VERSION_WITH_INPUTS, LEDGER_SCHEMA_VERSION_WITHOUT_INPUTS, LEDGER_SCHEMA_VERSION_WITHOUT_WAVES, LedgerJson,
} from './ledger-schema';
import { POSTGRES_MAX_USER_NAME_LENGTH } from './database-users';
import { LARGEST_MAX_CONNECTIONS, MAX_COUNT, MAX_POOL_SIZE, MAX_PORT } from './limits';
import { ENVIRONMENT_VARIABLE_NAME, ENVIRONMENT_VARIABLE_NAME_RULE, FRAMEWORK_NAMES, presetVariables, PresetSpec } from './presets';
import { routeVariables } from './route';
import { listOf } from './text';

/*
 * Reading ledgers back: input from files, so every field a reader uses is checked before use, within the
 * bounds the core plans with, and a ledger that fails gets one message listing every field that is wrong.
 */

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

const READ_VERSIONS = [LEDGER_SCHEMA_VERSION_WITHOUT_INPUTS, LEDGER_SCHEMA_VERSION_WITH_INPUTS, LEDGER_SCHEMA_VERSION_WITHOUT_WAVES, LEDGER_SCHEMA_VERSION];

/**
 * The ledger in `value`, checked: a version this code reads, and every field a reader uses of the right type and
 * range. A version 1 ledger has no inputs (`inputs: null`). `where` names the source in messages:
 * `the ledger 'Data/Db/Budget' in 'cdk.out/Data.template.json'`.
 */
export function parseLedger(value: unknown, where: string): LedgerJson {
  if (!isObject(value) || value.schema !== LEDGER_SCHEMA) {
    throw new LedgerFormatError(`${where} is not a connection budget ledger (no "schema": "${LEDGER_SCHEMA}").`);
  }
  const version = value.schemaVersion;
  if (typeof version !== 'number') {
    throw new LedgerFormatError(`${where} has schemaVersion ${JSON.stringify(version)}, ${typeof version === 'string' ? 'a string' : `of type ${typeof version}`}; `
      + `a ledger's schemaVersion is a number, ${listOf(READ_VERSIONS.map(String), 'or')}.`);
  }
  if (!READ_VERSIONS.includes(version)) {
    throw new LedgerFormatError(`${where} has ledger schema version ${version}, but this connection-budget reads versions ${listOf(READ_VERSIONS.map(String), 'and')}. `
      + 'Run the connection-budget CLI of the library version that synthesized it.');
  }
  const c = new Checker();
  c.text(value, 'budgetPath');
  if (version >= LEDGER_SCHEMA_VERSION_WITH_INPUTS) {
    checkInputs(c, value.inputs, version);
  }
  const capacity = value.capacity;
  if (capacity !== null) {
    c.object(value, 'capacity', (cap) => {
      c.object(cap, 'maxConnections', (m) => {
        // An allocation may grant nothing (and grants nothing while its lookup is pending); max_connections is at least 1.
        c.whole(m, 'value', m.source === 'allocation' ? 0 : 1, LARGEST_MAX_CONNECTIONS, 'capacity.maxConnections');
        c.oneOf(m, 'source', MAX_CONNECTIONS_SOURCES, 'capacity.maxConnections');
        c.text(m, 'basis', 'capacity.maxConnections');
      }, 'capacity');
      for (const field of ['ceiling', 'engineReserve', 'reservedTotal', 'reservedThroughProxy', 'directDemand']) c.number(cap, field, 'capacity');
      c.text(cap, 'explanation', 'capacity');
      c.oneOf(cap, 'engine', Object.keys(ENGINE_NAMES), 'capacity');
      c.array(cap, 'reservations', (r, at) => checkReservation(c, r, at), 'capacity');
      if (cap.proxy !== null) {
        c.object(cap, 'proxy', (p) => {
          c.whole(p, 'maxConnectionsPercent', 1, 100, 'capacity.proxy');
          c.boolean(p, 'derived', 'capacity.proxy');
        }, 'capacity');
      }
    });
  }
  const withWaves = version >= LEDGER_SCHEMA_VERSION;
  c.object(value, 'totals', (t) => {
    for (const field of ['demand', 'steadyDemand', 'directDemand']) c.number(t, field, 'totals');
    for (const field of ['ceiling', 'headroom', 'utilizationPercent']) c.nullableNumber(t, field, 'totals');
    if (withWaves) {
      c.number(t, 'uncreditedDemand', 'totals');
      c.array(t, 'chains', (chain, at) => {
        c.text(chain, 'chain', at);
        c.array(chain, 'services', (service, sat) => { if (typeof service !== 'string') c.fail(`${sat} must be a string`); }, at);
        if (chain.largest !== null) c.object(chain, 'largest', (l) => { c.text(l, 'service', `${at}.largest`); c.number(l, 'connections', `${at}.largest`); }, at);
      }, 'totals');
    }
  });
  if (withWaves) {
    c.object(value, 'startup', (st) => {
      c.array(st, 'consumers', (row, at) => {
        c.text(row, 'path', at);
        c.text(row, 'basis', at);
        c.oneOf(row, 'framework', Object.keys(FRAMEWORK_NAMES), at);
        c.boolean(row, 'minIdleDelivered', at);
        for (const field of ['newTasks', 'perPool', 'connections']) c.number(row, field, at);
      }, 'startup');
      c.object(st, 'largestDeployment', (l) => {
        c.number(l, 'connections', 'startup.largestDeployment');
        c.array(l, 'consumers', (path, at) => { if (typeof path !== 'string') c.fail(`${at} must be a string`); }, 'startup.largestDeployment');
      }, 'startup');
    });
  }
  c.array(value, 'consumers', (consumer, at) => {
    c.text(consumer, 'path', at);
    c.text(consumer, 'kind', at);
    c.oneOf(consumer, 'route', ['proxy', 'direct'], at);
    for (const field of ['demand', 'steadyDemand', 'connectionsPerInstance']) c.number(consumer, field, at);
    c.connections(consumer, at);
    c.object(consumer, 'pool', (pool) => {
      c.whole(pool, 'size', 0, MAX_POOL_SIZE, `${at}.pool`);
      c.object(pool, 'request', (request) => c.poolRequest(request, `${at}.pool.request`), `${at}.pool`);
    }, at);
    if (consumer.instances !== null) {
      c.object(consumer, 'instances', (i) => { c.number(i, 'peak', `${at}.instances`); c.number(i, 'steady', `${at}.instances`); }, at);
    }
    c.object(consumer, 'poolSettings', (s) => c.object(s, 'variables', (v) => {
      for (const [variable, text] of Object.entries(v)) {
        if (!ENVIRONMENT_VARIABLE_NAME.test(variable)) c.fail(`${at}.poolSettings.variables has ${JSON.stringify(variable)}, not an environment variable name (${ENVIRONMENT_VARIABLE_NAME_RULE})`);
        else if (typeof text !== 'string') c.fail(`${at}.poolSettings.variables.${variable} must be a string`);
      }
    }, `${at}.poolSettings`), at);
    if (version >= LEDGER_SCHEMA_VERSION_WITH_INPUTS) checkConsumerInputs(c, consumer.inputs, `${at}.inputs`);
    if (withWaves && consumer.wave !== null) {
      c.object(consumer, 'wave', (w) => { c.text(w, 'chain', `${at}.wave`); c.text(w, 'service', `${at}.wave`); }, at);
    }
  });
  c.array(value, 'problems', (problem, at) => {
    c.text(problem, 'id', at);
    c.oneOf(problem, 'level', ['error', 'warning'], at);
    c.text(problem, 'message', at);
    c.text(problem, 'fix', at);
    if (typeof problem.acknowledged !== 'boolean') c.fail(`${at}.acknowledged must be true or false`);
  });
  if (c.problems.length > 0) {
    throw new LedgerFormatError(`${where} is not a valid version ${version} ledger: ${c.problems.join('; ')}.`);
  }
  if (withWaves) return value as unknown as LedgerJson;
  // Earlier versions read as this one without waves: every consumer at its peak, no start-up figures.
  const withoutWaves = {
    ...value,
    totals: { ...value.totals, uncreditedDemand: value.totals.demand, chains: [] },
    consumers: value.consumers.map((consumer: object) => ({ ...consumer, wave: null })),
    startup: null,
  };
  if (version === LEDGER_SCHEMA_VERSION_WITHOUT_INPUTS) return { ...withoutWaves, inputs: null } as unknown as LedgerJson;
  // Version 2 is version 3 without allocations.
  const inputs = { ...(value.inputs as object), waves: null, ...(version === LEDGER_SCHEMA_VERSION_WITH_INPUTS ? { allocation: null } : {}) };
  return { ...withoutWaves, inputs } as unknown as LedgerJson;
}

export function checkInputs(c: Checker, inputs: unknown, version: number): void {
  if (!isObject(inputs)) {
    c.fail('inputs must be an object');
    return;
  }
  c.oneOf(inputs, 'engine', Object.keys(ENGINE_NAMES), 'inputs');
  if (inputs.maxConnections !== null) c.whole(inputs, 'maxConnections', 1, LARGEST_MAX_CONNECTIONS, 'inputs');
  c.range(inputs, 'warningThresholdPercent', Number.MIN_VALUE, 100, 'inputs');
  const fromAllocation = version >= LEDGER_SCHEMA_VERSION && inputs.allocation !== null;
  if (fromAllocation) {
    c.object(inputs, 'allocation', (a) => {
      for (const field of ['budgetPath', 'name', 'basis', 'clientSecurityGroupId']) c.text(a, field, 'inputs.allocation');
      c.whole(a, 'connections', 0, LARGEST_MAX_CONNECTIONS, 'inputs.allocation');
      c.oneOf(a, 'source', ['lookup', 'attributes'], 'inputs.allocation');
      c.boolean(a, 'pending', 'inputs.allocation');
      c.boolean(a, 'deployTimeCheck', 'inputs.allocation');
      c.text(a, 'parameterName', 'inputs.allocation');
      c.whole(a, 'port', 1, MAX_PORT, 'inputs.allocation');
      c.whole(a, 'proxyIdleClientTimeoutSeconds', 1, MAX_COUNT, 'inputs.allocation');
    }, 'inputs');
    if (inputs.database !== null) c.fail('inputs.database must be null in a budget built from an allocation');
    if (inputs.proxy !== null) c.fail('inputs.proxy must be null in a budget built from an allocation');
  } else {
    c.object(inputs, 'database', (d) => { c.oneOf(d, 'kind', ['instance', 'cluster'], 'inputs.database'); checkTarget(c, d, 'inputs.database'); }, 'inputs');
  }
  if (inputs.proxy !== null) c.object(inputs, 'proxy', (p) => { checkTarget(c, p, 'inputs.proxy'); c.boolean(p, 'derivedPercent', 'inputs.proxy'); }, 'inputs');
  c.array(inputs, 'reservations', (r, at) => {
    checkReservation(c, r, at);
    c.array(r, 'clients', (s, sat) => checkSource(c, s, sat), at);
    if (r.dataApi !== undefined && r.dataApi !== true) c.fail(`${at}.dataApi must be true when present`);
    if (r.databaseUser !== undefined) c.databaseUser(r, at);
    if (r.share !== undefined) {
      c.object(r, 'share', (sh) => {
        c.range(sh, 'weight', Number.MIN_VALUE, MAX_COUNT, `${at}.share`);
        c.whole(sh, 'min', 0, LARGEST_MAX_CONNECTIONS, `${at}.share`);
        c.whole(sh, 'max', 1, LARGEST_MAX_CONNECTIONS, `${at}.share`);
      }, at);
    }
  }, 'inputs');
  c.array(inputs, 'acknowledged', (id, at) => { if (typeof id !== 'string') c.fail(`${at} must be a string`); }, 'inputs');
  if (version >= LEDGER_SCHEMA_VERSION && inputs.waves !== null) {
    c.object(inputs, 'waves', (w) => c.array(w, 'services', (service, at) => {
      c.text(service, 'path', at);
      c.object(service, 'resource', (r) => checkResource(c, r, `${at}.resource`), at);
    }, 'inputs.waves'), 'inputs');
  }
  if (inputs.serverlessV2Default !== undefined) {
    c.object(inputs, 'serverlessV2Default', (d) => {
      c.text(d, 'path', 'inputs.serverlessV2Default');
      c.number(d, 'minCapacityAcu', 'inputs.serverlessV2Default');
      c.number(d, 'maxCapacityAcu', 'inputs.serverlessV2Default');
    }, 'inputs');
  }
}

/** What a diff compares of a reservation, in the inputs and in the capacity alike. */
function checkReservation(c: Checker, reservation: Record<string, any>, at: string): void {
  c.text(reservation, 'name', at);
  c.whole(reservation, 'connections', 0, LARGEST_MAX_CONNECTIONS, at);
  c.boolean(reservation, 'throughProxy', at);
}

function checkTarget(c: Checker, target: Record<string, any>, at: string): void {
  c.text(target, 'path', at);
  if (target.resource !== null) c.object(target, 'resource', (r) => checkResource(c, r, `${at}.resource`), at);
  c.array(target, 'securityGroups', (s, sat) => checkSource(c, s, sat), at);
  if (target.port !== null) c.whole(target, 'port', 1, MAX_PORT, at);
}

/** A consumer's inputs; a record's have no resource (the record sits on it). */
export function checkConsumerInputs(c: Checker, inputs: unknown, at: string, withResource = true): void {
  if (!isObject(inputs)) {
    c.fail(`${at} must be an object`);
    return;
  }
  if (withResource) c.object(inputs, 'resource', (r) => checkResource(c, r, `${at}.resource`), at);
  if (inputs.container !== null) c.text(inputs, 'container', at);
  if (inputs.databaseUser !== undefined && inputs.databaseUser !== null) c.databaseUser(inputs, at);
  c.object(inputs, 'preset', (p) => checkPreset(c, p, `${at}.preset`), at);
  if (inputs.minIdleConnections !== null) c.whole(inputs, 'minIdleConnections', 0, MAX_POOL_SIZE, at);
  if (inputs.acquireTimeoutMs !== null) c.range(inputs, 'acquireTimeoutMs', Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, at);
  c.object(inputs, 'bounds', (b) => {
    for (const field of ['maxTasks', 'maxConcurrency', 'maxConcurrentRuns', 'tasksPerRun']) {
      if (b[field] !== null) c.whole(b, field, 1, MAX_COUNT, `${at}.bounds`);
    }
  }, at);
  c.array(inputs, 'securityGroups', (s, sat) => checkSource(c, s, sat), at);
}

/**
 * A preset as PresetSpec writes it: a prefix, one variable, or custom names, by framework, that give environment variable
 * names, as the construct requires. The readers look for those names in what deploys: any other text is not one.
 */
function checkPreset(c: Checker, preset: Record<string, any>, at: string): void {
  const before = c.problems.length;
  checkPresetFields(c, preset, at);
  if (c.problems.length > before) return;
  const invalid = invalidVariableNames(preset as PresetSpec);
  if (invalid.length > 0) {
    const more = invalid.length > 1 ? ` and ${invalid.length - 1} more` : '';
    c.fail(`${at} gives ${JSON.stringify(invalid[0])}${more}, not environment variable names (${ENVIRONMENT_VARIABLE_NAME_RULE})`);
  }
}

/**
 * The names a preset gives that are not environment variable names, by the preset's JSON: a budget's thousand records
 * mostly repeat a few presets, and listing a preset's variables (each with its renderer) for every record cost more than
 * the rest of the record's check.
 */
function invalidVariableNames(spec: PresetSpec): readonly string[] {
  const key = JSON.stringify(spec);
  let invalid = invalidNamesByPreset.get(key);
  if (invalid === undefined) {
    invalid = [...presetVariables(spec), ...routeVariables(spec)].map((v) => v.name).filter((n) => !ENVIRONMENT_VARIABLE_NAME.test(n));
    invalidNamesByPreset.set(key, invalid);
  }
  return invalid;
}

const invalidNamesByPreset = new Map<string, readonly string[]>();

function checkPresetFields(c: Checker, preset: Record<string, any>, at: string): void {
  c.oneOf(preset, 'framework', Object.keys(FRAMEWORK_NAMES), at);
  switch (preset.framework) {
    case 'rails':
      return;
    case 'pgx':
    case 'npgsql':
    case 'prisma':
      c.text(preset, 'variable', at);
      return;
    case 'custom':
      c.object(preset, 'variables', (v) => {
        c.text(v, 'maxSize', `${at}.variables`);
        for (const field of ['minIdle', 'maxOverflow', 'acquireTimeout', 'idleTimeout', 'maxLifetime', 'host', 'port', 'databaseName']) {
          if (v[field] !== undefined) c.text(v, field, `${at}.variables`);
        }
        c.oneOf(v, 'timeUnit', ['milliseconds', 'seconds'], `${at}.variables`);
      }, at);
      return;
    default:
      c.text(preset, 'prefix', at);
  }
}

function checkResource(c: Checker, resource: Record<string, any>, at: string): void {
  for (const field of ['stack', 'stackName', 'logicalId']) c.text(resource, field, at);
}

function checkSource(c: Checker, source: unknown, at: string): void {
  if (!isObject(source) || typeof source.stack !== 'string' || typeof source.stackName !== 'string' || !('value' in source)) {
    c.fail(`${at} must be an object with stack, stackName and value`);
  }
}

/** Collects every field that is wrong, each named by its path in the ledger. */
export class Checker {
  public readonly problems: string[] = [];

  public fail(problem: string): void {
    this.problems.push(problem);
  }

  public text(value: Record<string, any>, field: string, at?: string): void {
    if (typeof value[field] !== 'string') this.fail(`${name(at, field)} must be a string`);
  }

  public boolean(value: Record<string, any>, field: string, at?: string): void {
    if (typeof value[field] !== 'boolean') this.fail(`${name(at, field)} must be true or false`);
  }

  public number(value: Record<string, any>, field: string, at?: string): void {
    if (!isNumber(value[field])) this.fail(`${name(at, field)} must be a number`);
  }

  public nullableNumber(value: Record<string, any>, field: string, at?: string): void {
    if (value[field] !== null && !isNumber(value[field])) this.fail(`${name(at, field)} must be a number or null`);
  }

  public whole(value: Record<string, any>, field: string, min: number, max: number, at?: string): void {
    const n = value[field];
    if (!(Number.isInteger(n) && n >= min && n <= max)) this.fail(`${name(at, field)} must be a whole number from ${min} to ${max}, got ${shown(n)}`);
  }

  public range(value: Record<string, any>, field: string, min: number, max: number, at?: string): void {
    const n = value[field];
    if (!(isNumber(n) && n >= min && n <= max)) this.fail(`${name(at, field)} must be a number above 0 and at most ${max}, got ${shown(n)}`);
  }

  /** A database user's name: text the database takes as one (PostgreSQL's limit is the longer). */
  public databaseUser(value: Record<string, any>, at: string): void {
    const user = value.databaseUser;
    if (!(typeof user === 'string' && user.length > 0 && user.length <= POSTGRES_MAX_USER_NAME_LENGTH)) {
      this.fail(`${at}.databaseUser must be a database user's name of 1 to ${POSTGRES_MAX_USER_NAME_LENGTH} characters, got ${shown(user)}`);
    }
  }

  /** A consumer's processes, pools per process and overflow per pool. */
  public connections(consumer: Record<string, any>, at: string): void {
    this.object(consumer, 'connections', (cn) => {
      this.whole(cn, 'processes', 1, MAX_COUNT, `${at}.connections`);
      this.whole(cn, 'poolsPerProcess', 1, MAX_COUNT, `${at}.connections`);
      this.whole(cn, 'overflowPerPool', 0, MAX_POOL_SIZE, `${at}.connections`);
    }, at);
  }

  /** A pool request: fixed, or a share. */
  public poolRequest(request: Record<string, any>, at: string): void {
    if (request.kind === 'fixed') {
      this.whole(request, 'size', 1, MAX_POOL_SIZE, at);
    } else if (request.kind === 'share') {
      this.whole(request, 'min', 1, MAX_POOL_SIZE, at);
      this.whole(request, 'max', 1, MAX_POOL_SIZE, at);
      this.range(request, 'weight', Number.MIN_VALUE, MAX_COUNT, at);
    } else {
      this.fail(`${at}.kind must be 'fixed' or 'share'`);
    }
  }

  public oneOf(value: Record<string, any>, field: string, allowed: readonly string[], at?: string): void {
    if (!allowed.includes(value[field])) this.fail(`${name(at, field)} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value[field])}`);
  }

  public object(value: Record<string, any>, field: string, check: (child: Record<string, any>) => void, at?: string): void {
    const child = value[field];
    if (isObject(child)) check(child);
    else this.fail(`${name(at, field)} must be an object`);
  }

  public array(value: Record<string, any>, field: string, check: (item: Record<string, any>, at: string) => void, at?: string): void {
    const items = value[field];
    if (!Array.isArray(items)) {
      this.fail(`${name(at, field)} must be an array`);
      return;
    }
    items.forEach((item, i) => {
      const itemAt = `${name(at, field)}[${i}]`;
      if (isObject(item) || typeof item !== 'object') check(item as Record<string, any>, itemAt);
      else this.fail(`${itemAt} must be an object`);
    });
  }
}

/** A value as a message shows it: JSON, but a number JSON cannot write (1e400 reads as Infinity) as itself. */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function name(at: string | undefined, field: string): string {
  return at === undefined ? field : `${at}.${field}`;
}

export function isObject(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
