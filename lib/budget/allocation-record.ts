import { ENGINE_NAMES, EngineKind } from './capacity';
import { LARGEST_MAX_CONNECTIONS, MAX_PORT } from './limits';

/**
 * The allocation record: what an owning app publishes for each allocation (an SSM parameter, JSON), and what a team's
 * app reads back to build its budget. A public contract like the ledger: a reader refuses a version it does not know.
 */
export const ALLOCATION_RECORD_KIND = 'connection-budget-allocation';
export const ALLOCATION_RECORD_VERSION = 1;

/** Where allocation records live in SSM Parameter Store: `/connection-budget/<budget path>/allocations/<name>`. */
export const ALLOCATION_PARAMETER_PREFIX = '/connection-budget';

/** One allocation, as published. */
export interface AllocationRecord {
  readonly schemaVersion: typeof ALLOCATION_RECORD_VERSION;
  readonly kind: typeof ALLOCATION_RECORD_KIND;
  /** Construct path of the owning budget in its app. */
  readonly budgetPath: string;
  /** The allocation's name. */
  readonly allocation: string;
  /** The connections granted through the proxy. */
  readonly connections: number;
  readonly engine: EngineKind;
  /** The proxy's endpoint: where the team's consumers connect. */
  readonly proxyEndpoint: string;
  readonly port: number;
  /** The database's name; null when the owning app does not know it (a MySQL database without a default one). */
  readonly databaseName: string | null;
  /** The security group the team's consumers are placed in; it alone has ingress to the proxy for them. */
  readonly clientSecurityGroupId: string;
  /**
   * The secret of the allocation's own database user, which the team's consumers read their password from; null when the
   * owning database gives the allocation no user (never the master user's).
   */
  readonly secretArn: string | null;
  /**
   * The allocation's own database user, whose connection limit is the allocation; null when it has none (and in records
   * written before it, which lack the field).
   */
  readonly databaseUser: string | null;
  /** How long the proxy keeps an idle client connection; the team's pools close idle connections before it. */
  readonly proxyIdleClientTimeoutSeconds: number;
}

/** The documented parameter name of an allocation's record; characters SSM does not allow in a name become '-'. */
export function allocationParameterName(budgetPath: string, name: string): string {
  return `${ALLOCATION_PARAMETER_PREFIX}/${budgetPath.replace(/[^A-Za-z0-9_./-]/g, '-')}/allocations/${name}`;
}

/** A record that cannot be read; the message says where and what is wrong. */
export class AllocationRecordError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'AllocationRecordError';
  }
}

/** The longest IdleClientTimeout RDS Proxy accepts: 28,800 s (DBProxy API reference; ../shared/reference/aws-limits.md). */
const MAX_IDLE_CLIENT_TIMEOUT_SECONDS = 28_800;

/**
 * The record in `text`, checked field by field: JSON, the kind and version this code reads, and the allocation it
 * must be (`expected`; without it, a record read on its own, which names its allocation itself). `where` names the
 * source in messages: `the SSM parameter '/connection-budget/...'`.
 */
export function parseAllocationRecord(text: string, where: string, expected?: { readonly budgetPath: string; readonly allocation: string }): AllocationRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AllocationRecordError(`${where} does not hold JSON (it starts ${JSON.stringify(text.slice(0, 40))}); it must hold an allocation record written by addAllocation.`);
  }
  const record = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || record.kind !== ALLOCATION_RECORD_KIND) {
    throw new AllocationRecordError(`${where} does not hold an allocation record (no "kind": "${ALLOCATION_RECORD_KIND}").`);
  }
  if (record.schemaVersion !== ALLOCATION_RECORD_VERSION) {
    throw new AllocationRecordError(`${where} holds an allocation record of version ${JSON.stringify(record.schemaVersion)}, but this connection-budget reads `
      + `version ${ALLOCATION_RECORD_VERSION}; use the library version the owning app uses.`);
  }
  const problems: string[] = [];
  const text_ = (field: string, nullable = false) => {
    const v = record[field];
    if (!(typeof v === 'string' && v.length > 0) && !(nullable && v === null)) problems.push(`${field} must be ${nullable ? 'a string or null' : 'a non-empty string'}, got ${JSON.stringify(v)}`);
  };
  const whole = (field: string, min: number, max: number) => {
    const v = record[field];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) problems.push(`${field} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  ['budgetPath', 'allocation', 'proxyEndpoint', 'clientSecurityGroupId'].forEach((f) => text_(f));
  ['databaseName', 'secretArn'].forEach((f) => text_(f, true));
  if (record.databaseUser !== undefined) text_('databaseUser', true);
  whole('connections', 0, LARGEST_MAX_CONNECTIONS);
  whole('port', 1, MAX_PORT);
  whole('proxyIdleClientTimeoutSeconds', 1, MAX_IDLE_CLIENT_TIMEOUT_SECONDS);
  if (!Object.keys(ENGINE_NAMES).includes(record.engine as string)) {
    problems.push(`engine must be one of ${Object.keys(ENGINE_NAMES).join(', ')}, got ${JSON.stringify(record.engine)}`);
  }
  if (problems.length > 0) {
    throw new AllocationRecordError(`${where} holds an allocation record that is not valid: ${problems.join('; ')}.`);
  }
  if (expected && (record.budgetPath !== expected.budgetPath || record.allocation !== expected.allocation)) {
    throw new AllocationRecordError(`${where} holds the allocation '${String(record.allocation)}' of '${String(record.budgetPath)}', `
      + `not '${expected.allocation}' of '${expected.budgetPath}'.`);
  }
  // A record written before databaseUser existed has none.
  return { ...record, databaseUser: record.databaseUser ?? null } as unknown as AllocationRecord;
}
