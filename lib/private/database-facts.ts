import { aws_rds as rds } from 'aws-cdk-lib';
import {
  CapacityInput, DatabaseInstanceFacts, EngineKind, InstanceSizing, PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS,
  PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT, Reservation, UnresolvedValue,
} from '../budget';
import { AppIndex } from './app-index';
import { numberValue, objectValue, ownerPath, resolved, stringValue, TemplateValue } from './template-values';

/** The database a budget is attached to: exactly one of the two. */
export interface BudgetDatabase {
  readonly instance?: rds.IDatabaseInstance;
  readonly cluster?: rds.IDatabaseCluster;
}

/** Engines as aws-cdk-lib names them (`engineType`), mapped to the budget's engine kinds. */
const ENGINE_TYPES: Readonly<Record<string, EngineKind>> = {
  'postgres': 'rds-postgresql',
  'mysql': 'rds-mysql',
  'mariadb': 'rds-mariadb',
  'aurora-postgresql': 'aurora-postgresql',
  'aurora-mysql': 'aurora-mysql',
  // Aurora MySQL 1.x (MySQL 5.6 compatible) is engine type `aurora`.
  'aurora': 'aurora-mysql',
};

/** The budget engine of a database, or undefined when aws-cdk-lib's engine type is not one the budget knows. */
export function engineKindOf(engineType: string | undefined): EngineKind | undefined {
  return engineType === undefined ? undefined : ENGINE_TYPES[engineType];
}

export const SUPPORTED_ENGINE_TYPES: readonly string[] = Object.keys(ENGINE_TYPES);

/**
 * RDS Proxy listens on the engine family's default port whatever port the database uses
 * (RDS Proxy limitations, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.html;
 * aws/aws-cdk discussion #28321).
 */
export const PROXY_PORT: Readonly<Record<EngineKind, number>> = {
  'rds-postgresql': 5432,
  'aurora-postgresql': 5432,
  'rds-mysql': 3306,
  'rds-mariadb': 3306,
  'aurora-mysql': 3306,
};

/** What the budget learns about its database and proxy from the app. */
export interface DatabaseFacts {
  readonly capacity: CapacityInput;
  readonly unresolved: readonly UnresolvedValue[];
  /** The proxy's IdleClientTimeout; absent without a proxy. */
  readonly proxyIdleClientTimeoutSeconds?: number;
}

export interface GatherDatabaseOptions {
  readonly engine: EngineKind;
  readonly database: BudgetDatabase;
  readonly proxy?: rds.DatabaseProxy;
  /** The budget derives the proxy's MaxConnectionsPercent (and writes it into the target group). */
  readonly deriveProxyPercent?: boolean;
  readonly maxConnections?: number;
  readonly reservations: readonly Reservation[];
}

/** Reads max_connections, instance sizes and proxy settings from the L1 resources that deploy. */
export function gatherDatabaseFacts(options: GatherDatabaseOptions, index: AppIndex): DatabaseFacts {
  const unresolved: UnresolvedValue[] = [];
  // With an explicit maxConnections, unknown sizes and parameters do not block the budget.
  const needsTemplateLimit = options.maxConnections === undefined;
  const unknown = (path: string, what: string, fix: string) => {
    if (needsTemplateLimit) unresolved.push({ path, what, fix });
  };
  const instances = instanceResources(options.database, index).map((l1) => instanceFacts(l1, options.database.cluster, index, unknown));
  const proxy = options.proxy && proxyFacts(options.proxy, options, unresolved);
  return {
    capacity: {
      engine: options.engine,
      maxConnections: options.maxConnections,
      instances,
      reservations: options.reservations,
      proxy: proxy?.facts,
    },
    unresolved,
    proxyIdleClientTimeoutSeconds: proxy?.idleClientTimeoutSeconds,
  };
}

/** The instances that can serve connections: the instance itself, or every instance of the cluster. */
function instanceResources(database: BudgetDatabase, index: AppIndex): rds.CfnDBInstance[] {
  if (database.instance) {
    const l1 = database.instance.node.defaultChild;
    return l1 instanceof rds.CfnDBInstance ? [l1] : [];
  }
  const cluster = database.cluster!;
  return index.dbInstances.filter((i) => i.dbClusterIdentifier === cluster.clusterIdentifier);
}

type Unknown = (path: string, what: string, fix: string) => void;

const BOUND_FIX = 'Pass maxConnections to the budget, or give the value as a literal.';

function instanceFacts(l1: rds.CfnDBInstance, cluster: rds.IDatabaseCluster | undefined, index: AppIndex, unknown: Unknown): DatabaseInstanceFacts {
  const path = ownerPath(l1);
  const clusterL1 = cluster?.node.defaultChild instanceof rds.CfnDBCluster ? cluster.node.defaultChild : undefined;

  // The first group that sets max_connections decides: an instance-level value overrides the cluster's.
  const groups = [index.parameterGroupNamed(l1.dbParameterGroupName), clusterL1 && index.clusterParameterGroupNamed(clusterL1.dbClusterParameterGroupName)];
  let parameterGroupMaxConnections: number | undefined;
  let parameterGroupPath: string | undefined;
  for (const group of groups) {
    const value = group ? maxConnectionsParameter(group) : { kind: 'absent' as const };
    if (!group || value.kind === 'absent') continue;
    if (value.kind === 'known') {
      parameterGroupMaxConnections = value.value;
      parameterGroupPath = ownerPath(group);
    } else {
      unknown(ownerPath(group), 'max_connections parameter', BOUND_FIX);
    }
    break;
  }

  // The size only matters when the parameter group does not set max_connections.
  const sizeUnknown: Unknown = (...args) => {
    if (parameterGroupMaxConnections === undefined) unknown(...args);
  };
  let sizing: InstanceSizing | undefined;
  const instanceClass = stringValue(resolved(l1, l1.dbInstanceClass));
  if (instanceClass.kind === 'token') {
    sizeUnknown(path, 'DBInstanceClass', BOUND_FIX);
  } else if (instanceClass.kind === 'known' && instanceClass.value === 'db.serverless') {
    sizing = serverlessSizing(clusterL1, sizeUnknown);
  } else if (instanceClass.kind === 'known') {
    sizing = { kind: 'provisioned', instanceClass: instanceClass.value };
  }
  return { path, parameterGroupMaxConnections, parameterGroupPath, sizing };
}

/** max_connections from a parameter group: a number, absent, or a formula (which means the default applies). */
function maxConnectionsParameter(group: rds.CfnDBParameterGroup | rds.CfnDBClusterParameterGroup): TemplateValue<number> {
  const parameters = objectValue(resolved(group, group.parameters));
  if (parameters.kind !== 'known') {
    return parameters.kind === 'token' ? { kind: 'token' } : { kind: 'absent' };
  }
  const value = numberValue(parameters.value.max_connections);
  // A string that is not a number is a formula such as `LEAST({DBInstanceClassMemory/9531392},5000)`:
  // the default, not an explicit value.
  return value.kind === 'token' && typeof parameters.value.max_connections === 'string' ? { kind: 'absent' } : value;
}

function serverlessSizing(clusterL1: rds.CfnDBCluster | undefined, unknown: Unknown): InstanceSizing | undefined {
  if (!clusterL1) return undefined;
  const path = ownerPath(clusterL1);
  const scaling = objectValue(resolved(clusterL1, clusterL1.serverlessV2ScalingConfiguration));
  const min = scaling.kind === 'known' ? numberValue(scaling.value.minCapacity) : scaling;
  const max = scaling.kind === 'known' ? numberValue(scaling.value.maxCapacity) : scaling;
  if (min.kind === 'known' && max.kind === 'known') {
    return { kind: 'serverless-v2', minCapacityAcu: min.value, maxCapacityAcu: max.value };
  }
  if (min.kind === 'token' || max.kind === 'token') {
    unknown(path, 'ServerlessV2ScalingConfiguration', BOUND_FIX);
  }
  return undefined;
}

function proxyFacts(proxy: rds.DatabaseProxy, options: GatherDatabaseOptions, unresolved: UnresolvedValue[]) {
  const path = proxy.node.path;
  const targetGroup = proxy.node.findAll().find((c): c is rds.CfnDBProxyTargetGroup => c instanceof rds.CfnDBProxyTargetGroup);
  const proxyL1 = proxy.node.defaultChild as rds.CfnDBProxy;

  let maxConnectionsPercent: number | undefined = PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT;
  if (options.deriveProxyPercent) {
    maxConnectionsPercent = undefined;
  } else {
    const pool = targetGroup ? objectValue(resolved(targetGroup, targetGroup.connectionPoolConfigurationInfo)) : { kind: 'absent' as const };
    const percent = pool.kind === 'known' ? numberValue(pool.value.maxConnectionsPercent) : pool;
    if (percent.kind === 'known') {
      maxConnectionsPercent = percent.value;
    } else if (percent.kind === 'token') {
      unresolved.push({ path, what: 'MaxConnectionsPercent', fix: 'Give the proxy\'s maxConnectionsPercent as a literal number.' });
    }
  }
  const { instance, cluster } = options.database;
  const targetsDatabase = instance
    ? (targetGroup?.dbInstanceIdentifiers ?? []).includes(instance.instanceIdentifier)
    : (targetGroup?.dbClusterIdentifiers ?? []).includes(cluster!.clusterIdentifier);

  let idleClientTimeoutSeconds = PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS;
  const idle = numberValue(resolved(proxyL1, proxyL1.idleClientTimeout));
  if (idle.kind === 'known') {
    idleClientTimeoutSeconds = idle.value;
  } else if (idle.kind === 'token') {
    unresolved.push({ path, what: 'IdleClientTimeout', fix: 'Give the proxy\'s idleClientTimeout as a literal duration.' });
  }
  return { facts: { path, maxConnectionsPercent, targetsDatabase }, idleClientTimeoutSeconds };
}
