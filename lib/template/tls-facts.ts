import { ENGINE_NAMES, EngineKind, TLS_DEFAULT_FROM_VERSION, TLS_PARAMETER, TLS_REQUIRED_VALUE, TlsSetting } from '../budget';
import { alternatives } from './intrinsics';
import { describeValue, field, isIntrinsic } from './values';

// Whether the proxy and the database refuse clients without TLS, read from the properties they deploy with: the
// synthesized templates, or an L1 rendered with its overrides. Every branch of a condition may deploy, so the least
// secure branch decides; a value known only at deploy is never taken as secure.

/**
 * RDS Proxy requires TLS only when RequireTLS is true: CloudFormation's RequireTLS is an optional Boolean, an opt-in
 * (SOURCES.cfnDbProxy), which CDK's DatabaseProxy writes true unless told otherwise (SOURCES.cdkDatabaseProxy).
 */
export function proxyTls(path: string, properties: unknown): TlsSetting {
  const values = alternatives(field(properties, 'RequireTLS'));
  const branch = values.length > 1 ? ' in a branch of its condition' : '';
  const fix = `Set requireTLS: true on '${path}' (the DatabaseProxy default) and remove any override of its RequireTLS`;
  if (values.some((v) => v === undefined || v === null)) {
    return { path, state: 'not-required', basis: `RequireTLS is not set${branch}, and RDS Proxy requires TLS only when it is true`, fix };
  }
  if (values.some((v) => booleanOf(v) === false)) {
    return { path, state: 'not-required', basis: `RequireTLS is ${describeValue(values.find((v) => booleanOf(v) === false))}${branch}`, fix };
  }
  const unknown = values.find((v) => booleanOf(v) === undefined);
  if (unknown !== undefined) {
    return { path, state: 'unknown', basis: `its RequireTLS is ${unreadable(unknown)}`, fix: `Give the RequireTLS of '${path}' as the literal true (requireTLS: true)` };
  }
  return { path, state: 'required', basis: 'RequireTLS is true', fix };
}

/** The database's resources that decide whether it requires TLS. */
export interface DatabaseTlsResources {
  readonly engine: EngineKind;
  /** The EngineVersion property of the instance, or of the cluster. */
  readonly engineVersion: unknown;
  /**
   * The group that holds the TLS parameter: the instance's parameter group, or an Aurora cluster's cluster parameter
   * group. Absent when the database keeps the engine's defaults (no group, or one of RDS's `default.` groups); without
   * properties when it is not defined in the app.
   */
  readonly parameterGroup?: { readonly path: string; readonly properties?: unknown; readonly external?: string };
}

/**
 * Whether the database refuses clients without TLS: its TLS parameter (rds.force_ssl, require_secure_transport) where
 * its parameter group sets it, else the engine version's default (TLS_DEFAULT_FROM_VERSION). `resources` is undefined
 * for a database the app does not define.
 */
export function databaseTls(path: string, engine: EngineKind, resources: DatabaseTlsResources | undefined): TlsSetting {
  const name = TLS_PARAMETER[engine];
  const group = resources?.parameterGroup;
  const fix = `Set ${name} to ${TLS_REQUIRED_VALUE[engine]} in ${group && group.external === undefined ? `the parameter group '${group.path}'`
    : `the ${engine.startsWith('aurora') ? 'cluster ' : ''}parameter group of '${path}'`}`;
  if (!resources) {
    return { path, state: 'unknown', basis: 'it is not defined in this app, so its parameter group cannot be read', fix };
  }
  if (group?.external !== undefined) {
    return { path, state: 'unknown', basis: `its parameter group, ${group.external}, is not defined in this app`, fix };
  }
  const where = group ? ` in the parameter group '${group.path}'` : '';
  const settings: TlsSetting[] = [];
  for (const parameters of alternatives(field(group?.properties, 'Parameters'))) {
    if (parameters !== undefined && parameters !== null && isIntrinsic(parameters)) {
      settings.push({ path, state: 'unknown', basis: `the Parameters of '${group!.path}' are known only at deploy`, fix });
      continue;
    }
    for (const value of alternatives(field(parameters, name))) {
      if (value === undefined || value === null) {
        settings.push(engineDefault(path, resources, group ? `${name} is not set${where}` : `the database keeps the engine's default parameters`, fix));
        continue;
      }
      const on = booleanOf(value);
      settings.push(on === undefined
        ? { path, state: 'unknown', basis: `${name}${where} is ${unreadable(value)}`, fix }
        : { path, state: on ? 'required' : 'not-required', basis: `${name} is ${describeValue(value)}${where}`, fix });
    }
  }
  return settings.find((s) => s.state === 'not-required') ?? settings.find((s) => s.state === 'unknown') ?? settings[0];
}

/** What the engine does when its parameter group leaves the TLS parameter unset. */
function engineDefault(path: string, resources: DatabaseTlsResources, unset: string, fix: string): TlsSetting {
  const engine = ENGINE_NAMES[resources.engine];
  const from = TLS_DEFAULT_FROM_VERSION[resources.engine];
  if (!from) {
    return { path, state: 'not-required', basis: `${unset}, and ${engine} does not require TLS by default`, fix };
  }
  const first = from[1] === 0 ? String(from[0]) : from.join('.');
  const version = resources.engineVersion;
  const parsed = typeof version === 'string' || typeof version === 'number' ? /^(\d+)(?:\.(\d+))?/.exec(String(version)) : null;
  if (!parsed) {
    const which = version === undefined || version === null ? 'its EngineVersion is not set (RDS picks one)'
      : `its EngineVersion is ${isIntrinsic(version) ? 'known only at deploy' : describeValue(version)}`;
    return { path, state: 'unknown', basis: `${unset}, ${which}, and ${engine} requires TLS by default only from version ${first}`, fix: `${fix}, or give its engine version` };
  }
  const [major, minor] = [Number(parsed[1]), Number(parsed[2] ?? 0)];
  return major > from[0] || (major === from[0] && minor >= from[1])
    ? { path, state: 'required', basis: `${unset}, and ${engine} ${String(version)} requires TLS by default`, fix }
    : { path, state: 'not-required', basis: `${unset}, and ${engine} ${String(version)} does not require TLS by default, only from version ${first}`, fix };
}

/** A Boolean setting as CloudFormation and RDS parameter groups write it (true, 'true', 1, '1', 'ON'); undefined for anything else. */
function booleanOf(value: unknown): boolean | undefined {
  const text = typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string' ? String(value).trim().toLowerCase() : undefined;
  if (text === 'true' || text === '1' || text === 'on') return true;
  if (text === 'false' || text === '0' || text === 'off') return false;
  return undefined;
}

/** A value that is neither on nor off, for messages. */
function unreadable(value: unknown): string {
  return isIntrinsic(value) ? 'known only at deploy' : `${describeValue(value)}, neither on nor off`;
}
