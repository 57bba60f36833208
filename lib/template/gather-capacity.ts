import { CapacityInput, InvalidValue, LedgerInputsJson, ProxyFacts, TlsSetting, UnresolvedValue } from '../budget';
import { clusterInstances, Located, locate, referenced, TYPES } from './budget-resources';
import { capacitySinks, externalParameterGroup, instanceFacts, proxySettings } from './capacity-facts';
import { DeployedEngine, deployedEngine } from './database-engine';
import { listItems } from './intrinsics';
import { identity, TemplateResource, TemplateSet } from './template-set';
import { databaseTls, proxyTls } from './tls-facts';
import { describeValue, field } from './values';

/** The capacity side of a budget, read from the templates. */
export interface GatheredCapacity {
  readonly capacity: CapacityInput;
  readonly unresolved: readonly UnresolvedValue[];
  readonly invalid: readonly InvalidValue[];
  /** The database's resources: the instance, or the cluster and its instances (empty when imported). */
  readonly databaseResources: readonly TemplateResource[];
  /** The engine the database's instance or cluster deploys, when the templates hold it. */
  readonly deployedEngine?: DeployedEngine;
  /** The proxy, when the budget has one in the templates. */
  readonly proxy?: TemplateResource;
  /** The MaxConnectionsPercent the proxy's target group deploys, when the budget derives it (BudgetedDatabase). */
  readonly deployedDerivedPercent?: unknown;
  /** Resources the ledger names that the templates lack. */
  readonly missing: readonly Missing[];
  /** Whether the proxy and the database require TLS; absent for a budget built from an allocation. */
  readonly tls?: { readonly proxy?: TlsSetting; readonly database?: TlsSetting };
}

/** A resource the ledger names that is not in the templates. */
export interface Missing {
  readonly what: string;
  readonly located: Exclude<Located, { kind: 'found' }>;
}

/** Reads max_connections, the limit parameters, the sizes and the proxy settings of a budget from the templates. */
export function gatherCapacity(inputs: LedgerInputsJson, set: TemplateSet): GatheredCapacity {
  const { unresolved, invalid, sink, instanceSink } = capacitySinks(inputs.maxConnections !== null);
  const missing: Missing[] = [];

  let databaseResources: TemplateResource[] = [];
  let instances: TemplateResource[] = [];
  let cluster: TemplateResource | undefined;
  const { database } = inputs;
  if (database?.resource) {
    const located = locate(set, database.resource);
    if (located.kind === 'found') {
      if (database.kind === 'cluster') {
        cluster = located.resource;
        instances = clusterInstances(set, cluster);
        databaseResources = [cluster, ...instances];
      } else {
        instances = [located.resource];
        databaseResources = instances;
      }
    } else {
      missing.push({ what: `the database '${database.path}'`, located });
    }
  }

  const groupOf = (owner: TemplateResource | undefined, property: string, type: string) => {
    if (!owner) return [];
    const name = field(owner.properties, property);
    const group = referenced(set, owner, name, type);
    if (group) return [{ path: set.pathOf(group), properties: group.properties }];
    const external = externalParameterGroup(name);
    return external === undefined ? [] : [{ path: set.pathOf(owner), external }];
  };
  const instanceFactsList = instances.map((instance) => instanceFacts(inputs.engine, {
    path: set.pathOf(instance),
    instance: instance.properties,
    parameterGroups: [...groupOf(instance, 'DBParameterGroupName', TYPES.parameterGroup), ...groupOf(cluster, 'DBClusterParameterGroupName', TYPES.clusterParameterGroup)],
    cluster: cluster && { path: set.pathOf(cluster), properties: cluster.properties },
  }, instanceSink));

  // The cluster's parameter group holds an Aurora cluster's TLS parameter; a database the ledger names but the templates
  // lack is reported as missing, not guessed at.
  const tlsTarget = database?.kind === 'cluster' ? cluster : instances[0];
  let databaseTlsSetting: TlsSetting | undefined;
  if (database && (database.resource === null || tlsTarget)) {
    const [parameterGroup] = database.kind === 'cluster'
      ? groupOf(tlsTarget, 'DBClusterParameterGroupName', TYPES.clusterParameterGroup)
      : groupOf(tlsTarget, 'DBParameterGroupName', TYPES.parameterGroup);
    databaseTlsSetting = databaseTls(database.path, inputs.engine, tlsTarget && { engine: inputs.engine, engineVersion: field(tlsTarget.properties, 'EngineVersion'), parameterGroup });
  }

  let proxy: TemplateResource | undefined;
  let proxyFacts: ProxyFacts | undefined;
  let proxyTlsSetting: TlsSetting | undefined;
  let deployedDerivedPercent: unknown;
  if (inputs.proxy?.resource) {
    const located = locate(set, inputs.proxy.resource);
    if (located.kind === 'found') {
      proxy = located.resource;
      const proxyIdentity = identity(proxy);
      const targetGroups = set.all(TYPES.proxyTargetGroup).filter((g) => set.identitiesIn(g.stack, field(g.properties, 'DBProxyName')).includes(proxyIdentity));
      const targetGroup = targetGroups[0];
      if (targetGroups.length > 1) {
        // RDS Proxy has one target group (named default): two resources for it leave the settings to whichever applies last.
        sink.invalid({
          path: inputs.proxy.path, what: 'number of target groups', value: `${targetGroups.length} (${targetGroups.map((g) => `'${set.pathOf(g)}'`).join(', ')})`,
          allowed: '1: RDS Proxy has a single target group, and whichever of these CloudFormation applies last would set its connection limit',
          fix: `Keep only the target group '${inputs.proxy.path}' creates, and set its limit with maxConnectionsPercent.`,
        });
      }
      const settings = proxySettings(inputs.proxy.path, targetGroup?.properties, proxy.properties, inputs.proxy.derivedPercent, sink);
      proxyTlsSetting = proxyTls(inputs.proxy.path, proxy.properties);
      if (inputs.proxy.derivedPercent) {
        deployedDerivedPercent = field(field(targetGroup?.properties, 'ConnectionPoolConfigurationInfo'), 'MaxConnectionsPercent');
      }
      const targetIds = targetGroup ? [
        ...listOf(field(targetGroup.properties, 'DBInstanceIdentifiers')), ...listOf(field(targetGroup.properties, 'DBClusterIdentifiers')),
      ].map((v) => set.identityOf(targetGroup.stack, v)) : [];
      const target = database?.kind === 'cluster' ? cluster : instances[0];
      proxyFacts = {
        path: inputs.proxy.path,
        maxConnectionsPercent: settings.maxConnectionsPercent,
        targetsDatabase: target !== undefined && targetIds.includes(identity(target)),
        idleClientTimeoutSeconds: settings.idleClientTimeoutSeconds,
      };
    } else {
      missing.push({ what: `the proxy '${inputs.proxy.path}'`, located });
    }
  }

  const engine = databaseResources.length > 0 ? deployedEngine(databaseResources[0]) : undefined;
  if (engine && !engine.literal) {
    // The engine sets the reserved connections, the formulas of max_connections and the port: the record's is not proof.
    sink.unknown({
      path: database!.path, what: 'engine',
      why: engine.value === undefined ? 'its template sets no Engine: a replica or a restore takes its source\'s' : `its Engine is ${describeValue(engine.value)}, chosen at deploy`,
      fix: `Give '${database!.path}' its engine through the construct, not a parameter or an override.`,
    });
  }
  return {
    capacity: {
      engine: inputs.engine,
      maxConnections: inputs.maxConnections ?? undefined,
      instances: instanceFactsList,
      reservations: inputs.reservations.map(({ name, connections, throughProxy, share }) => ({ name, connections, throughProxy, ...(share ? { share } : {}) })),
      proxy: proxyFacts,
      serverlessV2Default: inputs.serverlessV2Default,
      // The granted connections are not in this app's templates: the owning app's are read beside them (`report <owner> <team>`).
      allocation: inputs.allocation ? {
        budgetPath: inputs.allocation.budgetPath, name: inputs.allocation.name, connections: inputs.allocation.connections,
        basis: inputs.allocation.basis, proxyIdleClientTimeoutSeconds: inputs.allocation.proxyIdleClientTimeoutSeconds, pending: inputs.allocation.pending,
      } : undefined,
    },
    unresolved,
    invalid,
    databaseResources,
    deployedEngine: engine,
    proxy,
    deployedDerivedPercent,
    missing,
    tls: database ? { proxy: proxyTlsSetting, database: databaseTlsSetting } : undefined,
  };
}

/** The identifiers a target group lists, whichever way its conditions go. */
function listOf(value: unknown): unknown[] {
  const { items, computed } = listItems(value);
  return [...items, ...computed];
}
