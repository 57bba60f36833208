import {
  DatabaseInstanceFacts, ENGINE_LIMIT_PARAMETERS, EngineKind, InstanceSizing, InvalidValue, LimitParameter, MAX_SETTABLE_MAX_CONNECTIONS,
  PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS, PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT, UnresolvedValue,
} from '../budget';
import { describeValue, field, numberValue, objectField, stringValue, wholeInRange } from './values';

/** RDS Proxy's IdleClientTimeout range in seconds (SOURCES.rdsProxyConnections: 1-28,800). */
export const PROXY_MAX_IDLE_CLIENT_TIMEOUT_SECONDS = 28_800;

/** Where a reader records values it needs but cannot use. */
export interface FactSink {
  /** A token. Recorded only where it matters (with an explicit maxConnections, unknown sizes do not). */
  unknown(value: UnresolvedValue): void;
  invalid(value: InvalidValue): void;
}

/** The sinks a capacity reader writes to, and what they collected. */
export interface CapacitySinks {
  readonly unresolved: UnresolvedValue[];
  readonly invalid: InvalidValue[];
  /** For the proxy and everything else the budget always needs. */
  readonly sink: FactSink;
  /** For instance sizes and parameters: with an explicit maxConnections, their tokens do not block the budget. */
  readonly instanceSink: FactSink;
}

export function capacitySinks(maxConnectionsGiven: boolean): CapacitySinks {
  const unresolved: UnresolvedValue[] = [];
  const invalid: InvalidValue[] = [];
  return {
    unresolved,
    invalid,
    sink: { unknown: (value) => unresolved.push(value), invalid: (value) => invalid.push(value) },
    instanceSink: { unknown: (value) => { if (!maxConnectionsGiven) unresolved.push(value); }, invalid: (value) => invalid.push(value) },
  };
}

/** One database instance as its resources deploy it. */
export interface InstanceResources {
  /** Path of the instance, for messages. */
  readonly path: string;
  /** The AWS::RDS::DBInstance properties. */
  readonly instance: unknown;
  /**
   * The parameter groups that apply, in the order they win: the instance's own, then its cluster's. A group the
   * app does not define (named, or known only at deploy) has no properties: what it sets is unknown.
   */
  readonly parameterGroups: ReadonlyArray<{ readonly path: string; readonly properties?: unknown; readonly external?: string }>;
  /** The AWS::RDS::DBCluster properties, for Serverless v2 capacity. */
  readonly cluster?: { readonly path: string; readonly properties: unknown };
}

const BOUND_FIX = 'Pass maxConnections to the budget, or give the value as a literal.';

/** A string that is one of RDS's parameter formulas (`LEAST({DBInstanceClassMemory/9531392},5000)`): the engine default. */
function isFormula(value: string): boolean {
  return value.includes('{') || /^\s*(LEAST|GREATEST|SUM)\s*\(/i.test(value);
}

/** max_connections, the limit parameters and the sizing of one instance. */
export function instanceFacts(engine: EngineKind, resources: InstanceResources, sink: FactSink): DatabaseInstanceFacts {
  const { path } = resources;
  const largest = MAX_SETTABLE_MAX_CONNECTIONS[engine];
  let parameterGroupMaxConnections: number | undefined;
  let parameterGroupPath: string | undefined;
  let blocked = false;
  const limitParameters: Partial<Record<LimitParameter, number>> = {};

  // The first group that sets a parameter decides: an instance-level value overrides the cluster's.
  for (const name of ['max_connections', ...ENGINE_LIMIT_PARAMETERS[engine]] as const) {
    for (const group of resources.parameterGroups) {
      if (group.external !== undefined) {
        if (name === 'max_connections') {
          sink.unknown({
            path, what: 'max_connections', why: `its parameter group, ${group.external}, is not defined in this app`,
            fix: 'Pass maxConnections to the budget (the value that parameter group sets), or define the parameter group in the app.',
          });
          blocked = true;
        }
        break;
      }
      const parameters = objectField(group.properties, 'Parameters');
      if (parameters.kind === 'token') {
        if (name === 'max_connections') sink.unknown({ path: group.path, what: 'Parameters', fix: BOUND_FIX });
        blocked = blocked || name === 'max_connections';
        break;
      }
      const raw = parameters.kind === 'known' ? parameters.value[name] : undefined;
      if (raw === undefined || raw === null) continue;
      if (typeof raw === 'string' && isFormula(raw)) {
        break;
      }
      const min = name === 'max_connections' ? 1 : 0;
      const value = wholeInRange(raw, min, largest);
      if (value.kind === 'known') {
        if (name === 'max_connections') {
          parameterGroupMaxConnections = value.value;
          parameterGroupPath = group.path;
        } else {
          limitParameters[name] = value.value;
        }
      } else if (value.kind === 'invalid') {
        sink.invalid({
          path: group.path, what: `${name} parameter`, value: describeValue(raw),
          allowed: `a whole number from ${min} to ${largest}${name === 'max_connections' ? ', or an RDS formula' : ''}`,
          fix: `Write ${name} in '${group.path}' as a whole number in digits.`,
        });
        blocked = blocked || name === 'max_connections';
      } else {
        sink.unknown({ path: group.path, what: `${name} parameter`, fix: BOUND_FIX });
        blocked = blocked || name === 'max_connections';
      }
      break;
    }
  }

  // The size matters only when the parameter group does not set max_connections, and is never a stand-in
  // for a value that is set but unusable.
  const sizing = blocked || parameterGroupMaxConnections !== undefined ? undefined : instanceSizing(resources, sink);
  return {
    path,
    parameterGroupMaxConnections,
    parameterGroupPath,
    limitParameters: Object.keys(limitParameters).length > 0 ? limitParameters : undefined,
    sizing,
  };
}

function instanceSizing(resources: InstanceResources, sink: FactSink): InstanceSizing | undefined {
  const instanceClass = stringValue(field(resources.instance, 'DBInstanceClass'));
  if (instanceClass.kind === 'token') {
    sink.unknown({ path: resources.path, what: 'DBInstanceClass', fix: BOUND_FIX });
    return undefined;
  }
  if (instanceClass.kind !== 'known') {
    return undefined;
  }
  if (instanceClass.value !== 'db.serverless') {
    return { kind: 'provisioned', instanceClass: instanceClass.value };
  }
  const cluster = resources.cluster;
  if (!cluster) return undefined;
  const scaling = objectField(cluster.properties, 'ServerlessV2ScalingConfiguration');
  const min = scaling.kind === 'known' ? numberValue(field(scaling.value, 'MinCapacity')) : scaling;
  const max = scaling.kind === 'known' ? numberValue(field(scaling.value, 'MaxCapacity')) : scaling;
  if (min.kind === 'known' && max.kind === 'known') {
    return { kind: 'serverless-v2', minCapacityAcu: min.value, maxCapacityAcu: max.value };
  }
  if (min.kind === 'token' || max.kind === 'token') {
    sink.unknown({ path: cluster.path, what: 'ServerlessV2ScalingConfiguration', fix: BOUND_FIX });
  }
  return undefined;
}

/** The proxy's pool ceiling and client idle timeout, from its target group and its own properties. */
export interface ProxySettings {
  /** Undefined when the budget derives it. */
  readonly maxConnectionsPercent?: number;
  readonly idleClientTimeoutSeconds: number;
}

/** MaxConnectionsPercent (1-100, RDS Proxy's default 100) and IdleClientTimeout, checked. */
export function proxySettings(path: string, targetGroup: unknown, proxy: unknown, derived: boolean, sink: FactSink): ProxySettings {
  let maxConnectionsPercent: number | undefined = derived ? undefined : PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT;
  if (!derived) {
    const pool = objectField(targetGroup, 'ConnectionPoolConfigurationInfo');
    const raw = pool.kind === 'known' ? field(pool.value, 'MaxConnectionsPercent') : undefined;
    const percent = pool.kind === 'token' ? pool : wholeInRange(raw, 1, 100);
    if (percent.kind === 'known') {
      maxConnectionsPercent = percent.value;
    } else if (percent.kind === 'invalid') {
      sink.invalid({
        path, what: 'MaxConnectionsPercent', value: describeValue(raw), allowed: 'a whole number from 1 to 100',
        fix: `Set the maxConnectionsPercent of '${path}' to a whole number from 1 to 100.`,
      });
    } else if (percent.kind === 'token') {
      sink.unknown({ path, what: 'MaxConnectionsPercent', fix: 'Give the proxy\'s maxConnectionsPercent as a literal number.' });
    }
  }
  let idleClientTimeoutSeconds = PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS;
  const rawIdle = field(proxy, 'IdleClientTimeout');
  const idle = wholeInRange(rawIdle, 1, PROXY_MAX_IDLE_CLIENT_TIMEOUT_SECONDS);
  if (idle.kind === 'known') {
    idleClientTimeoutSeconds = idle.value;
  } else if (idle.kind === 'invalid') {
    sink.invalid({
      path, what: 'IdleClientTimeout', value: describeValue(rawIdle), allowed: `a whole number of seconds from 1 to ${PROXY_MAX_IDLE_CLIENT_TIMEOUT_SECONDS}`,
      fix: `Set the idleClientTimeout of '${path}' within RDS Proxy's range.`,
    });
  } else if (idle.kind === 'token') {
    sink.unknown({ path, what: 'IdleClientTimeout', fix: 'Give the proxy\'s idleClientTimeout as a literal duration.' });
  }
  return { maxConnectionsPercent, idleClientTimeoutSeconds };
}

/**
 * How a DBParameterGroupName the app does not define reads: RDS's default groups (`default.postgres16`) keep the
 * engine defaults, so they set nothing; any other name, or a value known only at deploy, is a group outside the app.
 */
export function externalParameterGroup(name: unknown): string | undefined {
  if (name === undefined || name === null) return undefined;
  if (typeof name === 'string') return name.startsWith('default.') ? undefined : `'${name}'`;
  return 'a name known only at deploy';
}
