import { aws_iam as iam, aws_ssm as ssm, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import {
  ALLOCATION_RECORD_KIND, ALLOCATION_RECORD_VERSION, allocationParameterName, AllocationRecord, AllocationRecordError, ENGINE_NAMES, EngineKind, LedgerInputsJson,
  LARGEST_MAX_CONNECTIONS, MAX_PORT, parseAllocationRecord, PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS, PROXY_PORT, RouteCredentials,
} from '../budget';
import type { ConnectionBudgetFromAllocationProps } from '../constructs/allocation-source';
import type { ConnectionReservation } from '../constructs/consumer-options';
import type { DatabaseFacts } from './database-facts';
import { ALLOCATION_NAME, ALLOCATION_NAME_MAX_LENGTH } from '../constructs/budget-props';
import { unknownKeyProblems } from './option-names';
import { describeNumber, isWholeNumber } from './validation';

// What a team's budget reads of the allocation it is built from: the looked-up record, a stand-in until CDK has looked
// it up, or the attributes given in code.

/** An allocation as a team's budget plans with it. */
export interface GrantedAllocation {
  readonly owningBudgetPath: string;
  readonly name: string;
  readonly record: AllocationRecord;
  /** The documented SSM parameter name of the record. */
  readonly parameterName: string;
  readonly source: 'lookup' | 'attributes';
  /** The lookup has not run: the record is a stand-in, and the synth reports it instead of a budget. */
  readonly pending: boolean;
  /** Where the figure comes from, in words. */
  readonly basis: string;
}

/** The connections a stand-in record grants while the lookup has not run: nothing. */
const PENDING_CONNECTIONS = 0;
/** Any engine will do for the stand-in: the synth that uses it reports the pending lookup and deploys nothing. */
const PENDING_ENGINE: EngineKind = 'rds-postgresql';

/** A security group ID as EC2 writes it. */
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** The allocation a team's budget is built from: looked up (or a stand-in until CDK has looked it up) or from attributes. */
export function grantedAllocation(scope: Construct, props: ConnectionBudgetFromAllocationProps): GrantedAllocation {
  const problems = propsProblems(props);
  if (problems.length > 0) {
    throw new AllocationRecordError(`invalid properties:\n- ${problems.join('\n- ')}`);
  }
  const { owningBudgetPath, allocationName: name } = props;
  claim(scope, owningBudgetPath, name);
  const parameterName = allocationParameterName(owningBudgetPath, name);
  if (props.attributes) {
    return { owningBudgetPath, name, parameterName, source: 'attributes', pending: false, basis: 'given in code (attributes)', record: attributesRecord(props) };
  }
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    throw new AllocationRecordError(`the stack '${stack.node.path}' has no explicit account and region, which CDK's context lookup of the record `
      + `'${parameterName}' needs; give the stack env: { account, region }, or pass the allocation's attributes.`);
  }
  const dummy = `dummy-value-for-${parameterName}`;
  const value = ssm.StringParameter.valueFromLookup(scope, parameterName);
  if (value === dummy) {
    return { owningBudgetPath, name, parameterName, source: 'lookup', pending: true, basis: `SSM parameter '${parameterName}', not looked up yet`, record: pendingRecord(props) };
  }
  const where = `the SSM parameter '${parameterName}' (cached in cdk.context.json)`;
  return {
    owningBudgetPath, name, parameterName, source: 'lookup', pending: false, basis: `SSM parameter '${parameterName}', cached in cdk.context.json`,
    record: parseAllocationRecord(value, where, { budgetPath: owningBudgetPath, allocation: name }),
  };
}

/** The budget built from each allocation, by app: one allocation is one budget's ceiling, or the app could spend it twice. */
const claimed = new WeakMap<IConstruct, Map<string, string>>();

function claim(scope: Construct, owningBudgetPath: string, name: string): void {
  const byAllocation = claimed.get(scope.node.root) ?? new Map<string, string>();
  claimed.set(scope.node.root, byAllocation);
  const key = JSON.stringify([owningBudgetPath, name]);
  const other = byAllocation.get(key);
  if (other !== undefined) {
    throw new AllocationRecordError(`the allocation '${name}' of '${owningBudgetPath}' is already the ceiling of '${other}' in this app, and `
      + 'two budgets could each fill it; register these consumers with that budget, or ask the owning app for an allocation of their own.');
  }
  byAllocation.set(key, scope.node.path);
}

function propsProblems(props: ConnectionBudgetFromAllocationProps): string[] {
  const problems: string[] = unknownKeyProblems(props, 'ConnectionBudgetFromAllocationProps', 'property');
  if (typeof props?.owningBudgetPath !== 'string' || props.owningBudgetPath.trim() === '' || Token.isUnresolved(props.owningBudgetPath)) {
    problems.push(`owningBudgetPath must be the owning budget's construct path, such as 'Platform/Data/Budget', got ${JSON.stringify(props?.owningBudgetPath)}`);
  }
  if (typeof props?.allocationName !== 'string' || !ALLOCATION_NAME.test(props.allocationName)) {
    problems.push(`allocationName must be the name given to addAllocation (1 to ${ALLOCATION_NAME_MAX_LENGTH} letters, digits, '-' or '_'), `
      + `got ${JSON.stringify(props?.allocationName)}`);
  }
  const a = props?.attributes;
  if (a) {
    if (!isWholeNumber(a.connections, 0, LARGEST_MAX_CONNECTIONS)) {
      problems.push(`attributes.connections must be a whole number from 0 to ${LARGEST_MAX_CONNECTIONS}, got ${describeNumber(a.connections)}`);
    }
    if (!Object.keys(ENGINE_NAMES).includes(a.engine)) {
      problems.push(`attributes.engine must be one of ${Object.keys(ENGINE_NAMES).join(', ')}, got ${JSON.stringify(a.engine)}`);
    }
    if (typeof a.proxyEndpoint !== 'string' || a.proxyEndpoint === '') problems.push('attributes.proxyEndpoint must be the proxy\'s endpoint');
    if (a.port !== undefined && !isWholeNumber(a.port, 1, MAX_PORT)) problems.push(`attributes.port must be a whole number from 1 to ${MAX_PORT}, got ${describeNumber(a.port)}`);
    if ((a.databaseUser === undefined) !== (a.secretArn === undefined)) {
      problems.push('attributes.databaseUser and attributes.secretArn go together: the user\'s password is in that secret; give both, as the record names them, or neither');
    }
    if (typeof a.clientSecurityGroupId === 'string' && Token.isUnresolved(a.clientSecurityGroupId)) {
      // The templates are checked for what this app places in the group (CB-UNBUDGETED-CLIENT), by its ID.
      problems.push('attributes.clientSecurityGroupId must be known at synth: the budget checks which of this app\'s resources are placed in that group, '
        + 'and a token (an import, a parameter) names a group only at deployment. Copy the ID from the owning app\'s record '
        + '(the clientSecurityGroupId field of its allocation parameter), or leave out attributes to look the record up');
    } else if (typeof a.clientSecurityGroupId !== 'string' || !SECURITY_GROUP_ID.test(a.clientSecurityGroupId)) {
      problems.push(`attributes.clientSecurityGroupId must be a security group ID (sg-...), got ${JSON.stringify(a.clientSecurityGroupId)}`);
    }
  }
  return problems;
}

function attributesRecord(props: ConnectionBudgetFromAllocationProps): AllocationRecord {
  const a = props.attributes!;
  const engine = a.engine as EngineKind;
  return {
    schemaVersion: ALLOCATION_RECORD_VERSION, kind: ALLOCATION_RECORD_KIND, budgetPath: props.owningBudgetPath, allocation: props.allocationName,
    connections: a.connections, engine, proxyEndpoint: a.proxyEndpoint, port: a.port ?? PROXY_PORT[engine],
    databaseName: a.databaseName ?? null, clientSecurityGroupId: a.clientSecurityGroupId, secretArn: a.secretArn ?? null, databaseUser: a.databaseUser ?? null,
    proxyIdleClientTimeoutSeconds: a.proxyIdleClientTimeout?.toSeconds() ?? PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS,
  };
}

/** What the budget plans with until CDK has looked the record up: no connections, so nothing in it deploys as real. */
function pendingRecord(props: ConnectionBudgetFromAllocationProps): AllocationRecord {
  return {
    schemaVersion: ALLOCATION_RECORD_VERSION, kind: ALLOCATION_RECORD_KIND, budgetPath: props.owningBudgetPath, allocation: props.allocationName,
    connections: PENDING_CONNECTIONS, engine: PENDING_ENGINE, proxyEndpoint: 'pending-lookup.invalid', port: PROXY_PORT[PENDING_ENGINE], databaseName: null,
    clientSecurityGroupId: 'sg-00000000', secretArn: null, databaseUser: null, proxyIdleClientTimeoutSeconds: PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS,
  };
}

/** The capacity of a budget built from an allocation: the granted connections, less this app's own reservations. */
export function allocationFacts(granted: GrantedAllocation, reservations: readonly ConnectionReservation[]): DatabaseFacts {
  const { record } = granted;
  return {
    capacity: {
      engine: record.engine,
      instances: [],
      reservations: reservations.map(({ name, connections }) => ({ name, connections, throughProxy: true })),
      allocation: {
        budgetPath: granted.owningBudgetPath, name: granted.name, connections: record.connections, basis: granted.basis,
        proxyIdleClientTimeoutSeconds: record.proxyIdleClientTimeoutSeconds, pending: granted.pending,
      },
    },
    unresolved: [],
    invalid: [],
  };
}

/** What the ledger records of a budget built from an allocation: no database or proxy of its own, the allocation instead. */
export function allocationLedgerInputs(
  granted: GrantedAllocation, reservations: readonly ConnectionReservation[], warningThresholdPercent: number, acknowledged: readonly string[], deployTimeCheck: boolean,
): LedgerInputsJson {
  const { record } = granted;
  return {
    engine: record.engine,
    maxConnections: null,
    warningThresholdPercent,
    database: null,
    proxy: null,
    allocation: {
      budgetPath: granted.owningBudgetPath, name: granted.name, connections: record.connections, basis: granted.basis, source: granted.source,
      pending: granted.pending, deployTimeCheck, parameterName: granted.parameterName, clientSecurityGroupId: record.clientSecurityGroupId,
      port: record.port, proxyIdleClientTimeoutSeconds: record.proxyIdleClientTimeoutSeconds, databaseUser: record.databaseUser,
    },
    reservations: reservations.map((r) => ({ name: r.name, connections: r.connections, throughProxy: true, clients: [] })),
    acknowledged,
  };
}

/**
 * Who a team's consumer connects as: the allocation's own database user, when the owning database gives it one. Its role
 * may read the user's secret; an identity policy is enough in the owning account (a team in another account cannot read
 * it, and gets its credentials from the owning team).
 */
export function allocationCredentials(granted: GrantedAllocation, grantee: iam.IGrantable): RouteCredentials | undefined {
  const { databaseUser, secretArn } = granted.record;
  if (granted.pending || databaseUser === null || secretArn === null) return undefined;
  iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resourceArns: [secretArn] });
  return { user: databaseUser, secretArn };
}
