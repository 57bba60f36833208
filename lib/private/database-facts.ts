import { aws_rds as rds } from 'aws-cdk-lib';
import { CapacityInput, EngineKind, InvalidValue, Reservation, TlsSetting, UnresolvedValue } from '../budget';
import { capacitySinks, externalParameterGroup, FactSink, instanceFacts, InstanceResources, proxySettings } from '../template/capacity-facts';
import { AppIndex } from './app-index';
import { literalText } from '../template/intrinsics';
import { databaseTls, DatabaseTlsResources, proxyTls } from '../template/tls-facts';
import { field } from '../template/values';
import { ownerPath, renderedProperties, resolved } from './l1';

/** The database a budget is attached to: exactly one of the two. */
export interface BudgetDatabase {
  readonly instance?: rds.IDatabaseInstance;
  readonly cluster?: rds.IDatabaseCluster;
}

/** What the budget learns about its database and proxy from the app. */
export interface DatabaseFacts {
  readonly capacity: CapacityInput;
  readonly unresolved: readonly UnresolvedValue[];
  readonly invalid: readonly InvalidValue[];
  /** The proxy's IdleClientTimeout; absent without a proxy. */
  readonly proxyIdleClientTimeoutSeconds?: number;
  /** Whether the proxy and the database require TLS; absent for an allocation, whose owning app checks them. */
  readonly tls?: { readonly proxy?: TlsSetting; readonly database: TlsSetting };
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

/** Reads max_connections, the limit parameters, instance sizes and proxy settings from the L1 resources that deploy. */
export function gatherDatabaseFacts(options: GatherDatabaseOptions, index: AppIndex): DatabaseFacts {
  const { unresolved, invalid, sink, instanceSink } = capacitySinks(options.maxConnections !== undefined);
  const instances = instanceResources(options.database, index).map((l1) => instanceFacts(options.engine, l1Instance(l1, options.database.cluster, index), instanceSink));
  const proxy = options.proxy && proxyFacts(options.proxy, options, sink);
  return {
    capacity: {
      engine: options.engine,
      maxConnections: options.maxConnections,
      instances,
      reservations: options.reservations,
      proxy: proxy?.facts,
    },
    unresolved,
    invalid,
    proxyIdleClientTimeoutSeconds: proxy?.idleClientTimeoutSeconds,
    tls: {
      proxy: options.proxy && proxyTls(options.proxy.node.path, renderedProperties(options.proxy.node.defaultChild as rds.CfnDBProxy)),
      database: databaseTls((options.database.instance ?? options.database.cluster)!.node.path, options.engine, databaseTlsResources(options, index)),
    },
  };
}

/**
 * The database's engine version and the parameter group that holds its TLS parameter (the cluster's, for Aurora),
 * rendered with their overrides; undefined for a database the app does not define.
 */
function databaseTlsResources(options: GatherDatabaseOptions, index: AppIndex): DatabaseTlsResources | undefined {
  const l1 = (options.database.instance ?? options.database.cluster)!.node.defaultChild;
  let name: string | undefined;
  let group: rds.CfnDBParameterGroup | rds.CfnDBClusterParameterGroup | undefined;
  if (l1 instanceof rds.CfnDBInstance) {
    name = l1.dbParameterGroupName;
    group = index.parameterGroupNamed(name);
  } else if (l1 instanceof rds.CfnDBCluster) {
    name = l1.dbClusterParameterGroupName;
    group = index.clusterParameterGroupNamed(name);
  } else {
    return undefined;
  }
  const external = group ? undefined : externalParameterGroup(resolved(l1, name));
  return {
    engine: options.engine,
    engineVersion: field(renderedProperties(l1), 'EngineVersion'),
    parameterGroup: group ? { path: ownerPath(group), properties: renderedProperties(group) }
      : external === undefined ? undefined : { path: ownerPath(l1), external },
  };
}

/** The instances that can serve connections: the instance itself, or every instance of the cluster. */
function instanceResources(database: BudgetDatabase, index: AppIndex): rds.CfnDBInstance[] {
  if (database.instance) {
    const l1 = database.instance.node.defaultChild;
    return l1 instanceof rds.CfnDBInstance ? [l1] : [];
  }
  const cluster = database.cluster!;
  const clusterL1 = cluster.node.defaultChild;
  const name = clusterL1 instanceof rds.CfnDBCluster ? literalText(resolved(clusterL1, clusterL1.dbClusterIdentifier))?.toLowerCase() : undefined;
  // By reference, or by the cluster's name (RDS compares identifiers without case): a failover can promote any of them.
  return index.dbInstances.filter((i) => i.dbClusterIdentifier === cluster.clusterIdentifier
    || (name !== undefined && literalText(resolved(i, i.dbClusterIdentifier))?.toLowerCase() === name));
}

/** An instance's properties, its parameter groups' and its cluster's, as the shared readers take them. */
function l1Instance(l1: rds.CfnDBInstance, cluster: rds.IDatabaseCluster | undefined, index: AppIndex): InstanceResources {
  const clusterL1 = cluster?.node.defaultChild instanceof rds.CfnDBCluster ? cluster.node.defaultChild : undefined;
  const groupOf = (owner: rds.CfnDBInstance | rds.CfnDBCluster | undefined, name: string | undefined, group: rds.CfnDBParameterGroup | rds.CfnDBClusterParameterGroup | undefined) => {
    if (!owner) return [];
    if (group) return [{ path: ownerPath(group), properties: { Parameters: resolved(group, group.parameters) } }];
    const external = externalParameterGroup(resolved(owner, name));
    return external === undefined ? [] : [{ path: ownerPath(owner), external }];
  };
  return {
    path: ownerPath(l1),
    instance: { DBInstanceClass: resolved(l1, l1.dbInstanceClass) },
    parameterGroups: [
      ...groupOf(l1, l1.dbParameterGroupName, index.parameterGroupNamed(l1.dbParameterGroupName)),
      ...groupOf(clusterL1, clusterL1?.dbClusterParameterGroupName, clusterL1 && index.clusterParameterGroupNamed(clusterL1.dbClusterParameterGroupName)),
    ],
    cluster: clusterL1 && { path: ownerPath(clusterL1), properties: { ServerlessV2ScalingConfiguration: resolved(clusterL1, clusterL1.serverlessV2ScalingConfiguration) } },
  };
}

function proxyFacts(proxy: rds.DatabaseProxy, options: GatherDatabaseOptions, sink: FactSink) {
  const path = proxy.node.path;
  const targetGroup = proxy.node.findAll().find((c): c is rds.CfnDBProxyTargetGroup => c instanceof rds.CfnDBProxyTargetGroup);
  const proxyL1 = proxy.node.defaultChild as rds.CfnDBProxy;
  const derived = options.deriveProxyPercent === true;
  // A derived percent is the budget's own value: reading it back would need the budget it is computing.
  const settings = proxySettings(path,
    targetGroup && !derived ? { ConnectionPoolConfigurationInfo: resolved(targetGroup, targetGroup.connectionPoolConfigurationInfo) } : undefined,
    { IdleClientTimeout: resolved(proxyL1, proxyL1.idleClientTimeout) },
    derived, sink);
  const { instance, cluster } = options.database;
  const targetsDatabase = instance
    ? (targetGroup?.dbInstanceIdentifiers ?? []).includes(instance.instanceIdentifier)
    : (targetGroup?.dbClusterIdentifiers ?? []).includes(cluster!.clusterIdentifier);
  return {
    facts: { path, maxConnectionsPercent: settings.maxConnectionsPercent, targetsDatabase, idleClientTimeoutSeconds: settings.idleClientTimeoutSeconds },
    idleClientTimeoutSeconds: settings.idleClientTimeoutSeconds,
  };
}
