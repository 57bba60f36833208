import { aws_ec2 as ec2, aws_rds as rds, Token } from 'aws-cdk-lib';
import { ALLOCATION_RESERVATION_PREFIX, EngineKind, LARGEST_MAX_CONNECTIONS, MAX_COUNT, MAX_SETTABLE_MAX_CONNECTIONS } from '../budget';
import { engineKindOf, SUPPORTED_ENGINE_TYPES } from '../template/database-engine';
import { unknownKeyProblems } from '../private/option-names';
import { describeNumber, isWholeNumber, pathOf, wholeNumberProblem } from '../private/validation';
import type { ConnectionBudgetProps } from './connection-budget';
import { ConnectionAllocationOptions } from './connection-allocation';
import { ConnectionReservation } from './consumer-options';

// What a ConnectionBudget checks of its properties and reservations before it registers anything.

/** The budget's engine, or why the database has none the budget knows. */
export function engineOf(database: rds.IDatabaseInstance | rds.IDatabaseCluster): { engine?: EngineKind; problem?: string } {
  const l1 = database.node.defaultChild;
  if ((database as unknown) instanceof rds.ServerlessCluster || (l1 instanceof rds.CfnDBCluster && l1.engineMode === 'serverless')) {
    return {
      problem: `'${database.node.path}' is an Aurora Serverless v1 cluster, which RDS Proxy does not support and AWS no longer offers; `
        + 'use Aurora Serverless v2 (rds.DatabaseCluster with ClusterInstance.serverlessV2)',
    };
  }
  const engineType = database.engine?.engineType;
  const engine = engineKindOf(engineType);
  if (engine) return { engine };
  return {
    problem: engineType === undefined
      ? `the engine of '${database.node.path}' is unknown; pass engine when importing the database (DatabaseInstance.fromDatabaseInstanceAttributes, DatabaseCluster.fromDatabaseClusterAttributes)`
      : `engine '${engineType}' of '${database.node.path}' is not supported; supported: ${SUPPORTED_ENGINE_TYPES.join(', ')}`,
  };
}

/** What a client connects from: security groups, or an address peer (a CIDR range, a prefix list). */
interface ClientSources {
  readonly groups: readonly ec2.ISecurityGroup[];
  readonly addresses: readonly ec2.IPeer[];
}

export function splitClient(client: ec2.IConnectable): ClientSources {
  const isAddress = typeof (client as Partial<ec2.IPeer>).toIngressRuleConfig === 'function' && !ec2.SecurityGroup.isSecurityGroup(client);
  return isAddress ? { groups: [], addresses: [client as ec2.IPeer] } : { groups: client.connections.securityGroups, addresses: [] };
}

export function propsProblems(props: ConnectionBudgetProps, engine: EngineKind | undefined): string[] {
  const problems: string[] = unknownKeyProblems(props, 'ConnectionBudgetProps', 'property');
  const proxy = props.proxy as unknown;
  if (proxy !== undefined && !(proxy instanceof rds.DatabaseProxy && (proxy as rds.DatabaseProxy).node.defaultChild instanceof rds.CfnDBProxy)) {
    problems.push(`the proxy '${pathOf(proxy)}' is not a DatabaseProxy defined in this app (an imported proxy's pool settings are not in the app); `
      + 'pass the DatabaseProxy construct, or leave proxy out and keep the proxy\'s share as a reservation');
  }
  const database = props.database?._instance ?? props.database?._cluster;
  if (proxy instanceof rds.DatabaseProxy && database) {
    // A rule to a group both hold is a rule to the database too: every proxy client could bypass the proxy's limit.
    const shared = proxy.connections.securityGroups.filter((g) => database.connections.securityGroups.includes(g));
    if (shared.length > 0) {
      problems.push(`the proxy '${proxy.node.path}' shares the security group ${shared.map((g) => `'${g.node.path}'`).join(', ')} with the database '${database.node.path}', `
        + 'so every client allowed to reach the proxy can also reach the database around it; give the proxy a security group of its own (the securityGroups of addProxy)');
    }
  }
  problems.push(...wholeNumberProblem('maxConnections', props.maxConnections, 1, engine ? MAX_SETTABLE_MAX_CONNECTIONS[engine] : LARGEST_MAX_CONNECTIONS));
  const threshold = props.warningThresholdPercent;
  if (threshold !== undefined && !(Number.isFinite(threshold) && !Token.isUnresolved(threshold) && threshold > 0 && threshold <= 100)) {
    problems.push(`warningThresholdPercent must be above 0 and at most 100, got ${describeNumber(threshold)}`);
  }
  const reservations = props.reservations ?? [];
  reservations.forEach((reservation, i) => problems.push(...reservationProblems(reservation, reservations.slice(0, i), props.proxy !== undefined)));
  return problems;
}

export function reservationProblems(reservation: ConnectionReservation, existing: readonly ConnectionReservation[], hasProxy: boolean): string[] {
  const problems: string[] = [];
  if (typeof reservation?.name !== 'string' || reservation.name.trim() === '') {
    problems.push('every reservation needs a name: what the connections are for, such as \'migrations\'');
    return problems;
  }
  if (existing.some((r) => r.name === reservation.name)) {
    problems.push(`reservation '${reservation.name}' is declared twice`);
  }
  if (reservation.name.startsWith(ALLOCATION_RESERVATION_PREFIX)) {
    problems.push(`reservation '${reservation.name}' starts with '${ALLOCATION_RESERVATION_PREFIX}', which names allocations (the CLI joins them to other apps' budgets); `
      + 'grant it with addAllocation, or choose another name');
  }
  if (!isWholeNumber(reservation.connections, 0, LARGEST_MAX_CONNECTIONS)) {
    problems.push(`reservation '${reservation.name}' must keep a whole number of connections from 0 to ${LARGEST_MAX_CONNECTIONS}, got ${describeNumber(reservation.connections)}`);
  }
  if (reservation.throughProxy && !hasProxy) {
    problems.push(`reservation '${reservation.name}' is throughProxy, but the budget has no proxy`);
  }
  problems.push(...unknownKeyProblems(reservation, 'ConnectionReservation', 'property').map((p) => `reservation '${reservation.name}': ${p}`));
  if (reservation.dataApi && reservation.throughProxy) {
    problems.push(`reservation '${reservation.name}' is for the Data API, which connects to the cluster's writer directly: drop throughProxy`);
  }
  return problems;
}

/** Longest allocation name, our choice: it becomes part of construct IDs, logical IDs and SSM parameter names. */
export const ALLOCATION_NAME_MAX_LENGTH = 64;
export const ALLOCATION_NAME = new RegExp(`^[A-Za-z0-9_-]{1,${ALLOCATION_NAME_MAX_LENGTH}}$`);


/** What is wrong with an allocation; `reservations` are the budget's, allocations among them. */
export function allocationProblems(options: ConnectionAllocationOptions, reservations: readonly ConnectionReservation[], hasProxy: boolean): string[] {
  const problems: string[] = [];
  if (!hasProxy) {
    problems.push('an allocation is counted through the proxy, and the budget has no proxy; give the budget a proxy, or keep the connections with a reservation');
  }
  if (typeof options?.name !== 'string' || !ALLOCATION_NAME.test(options.name)) {
    problems.push(`the name must be 1 to ${ALLOCATION_NAME_MAX_LENGTH} letters, digits, '-' or '_', got ${JSON.stringify(options?.name)}`);
  } else if (reservations.some((r) => r.name === `${ALLOCATION_RESERVATION_PREFIX}${options.name}`)) {
    problems.push(`the budget already keeps a reservation named '${ALLOCATION_RESERVATION_PREFIX}${options.name}' (an allocation of that name, or a reservation given its name); choose another name`);
  }
  const share = options?.share;
  if ((options?.connections === undefined) === (share === undefined)) {
    problems.push('give either connections (a number) or share (a weighted share of the ceiling), not both and not neither');
  } else if (share === undefined && !isWholeNumber(options.connections!, 1, LARGEST_MAX_CONNECTIONS)) {
    problems.push(`connections must be a whole number from 1 to ${LARGEST_MAX_CONNECTIONS}, got ${describeNumber(options?.connections)}`);
  } else if (share !== undefined) {
    if (!isWholeNumber(share.minConnections, 0, LARGEST_MAX_CONNECTIONS)) {
      problems.push(`share.minConnections must be a whole number from 0 to ${LARGEST_MAX_CONNECTIONS}, got ${describeNumber(share.minConnections)}`);
    } else if (!isWholeNumber(share.maxConnections, Math.max(1, share.minConnections), LARGEST_MAX_CONNECTIONS)) {
      problems.push(`share.maxConnections must be a whole number from ${Math.max(1, share.minConnections)} (at least minConnections) to ${LARGEST_MAX_CONNECTIONS}, `
        + `got ${describeNumber(share.maxConnections)}`);
    }
    if (share.weight !== undefined && !(Number.isFinite(share.weight) && !Token.isUnresolved(share.weight) && share.weight > 0 && share.weight <= MAX_COUNT)) {
      problems.push(`share.weight must be above 0 and at most ${MAX_COUNT}, got ${describeNumber(share.weight)}`);
    }
  }
  return problems;
}
