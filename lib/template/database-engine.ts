import { EngineKind } from '../budget';
import { literalText } from './intrinsics';
import { TemplateResource } from './template-set';
import { field } from './values';

/**
 * Engines as CloudFormation's `Engine` property (and aws-cdk-lib's `engineType`) names them, mapped to the budget's
 * engine kinds.
 */
const ENGINE_TYPES: Readonly<Record<string, EngineKind>> = {
  'postgres': 'rds-postgresql',
  'mysql': 'rds-mysql',
  'mariadb': 'rds-mariadb',
  'aurora-postgresql': 'aurora-postgresql',
  'aurora-mysql': 'aurora-mysql',
  // Aurora MySQL 1.x (MySQL 5.6 compatible) is engine type `aurora`.
  'aurora': 'aurora-mysql',
};

/** The budget engine of an engine type, or undefined when it is not one the budget knows. */
export function engineKindOf(engineType: string | undefined): EngineKind | undefined {
  return engineType === undefined || !Object.prototype.hasOwnProperty.call(ENGINE_TYPES, engineType) ? undefined : ENGINE_TYPES[engineType];
}

export const SUPPORTED_ENGINE_TYPES: readonly string[] = Object.keys(ENGINE_TYPES);

/**
 * The engine a database resource deploys: its literal `Engine` and the budget's kind of it, or the value when it is known
 * only at deploy (a parameter, a condition).
 */
export type DeployedEngine =
  | { readonly literal: true; readonly engineType: string; readonly kind?: EngineKind }
  | { readonly literal: false; readonly value: unknown };

/** The engine a database instance or cluster resource deploys, read from its `Engine`. */
export function deployedEngine(resource: TemplateResource): DeployedEngine {
  const value = field(resource.properties, 'Engine');
  const engineType = literalText(value);
  // RDS takes engine names in any case; CDK writes them in lower case.
  return engineType === undefined ? { literal: false, value } : { literal: true, engineType, kind: engineKindOf(engineType.toLowerCase()) };
}

/**
 * Properties by which a database starts from another (a snapshot, a source instance or cluster, a point in time): it
 * then listens on that one's port (RestoreDBInstanceFromDBSnapshot: "Default: The same port as the original DB
 * instance"), which the templates do not say, rather than on its engine's default.
 */
const RESTORED_FROM = ['DBSnapshotIdentifier', 'DBClusterSnapshotIdentifier', 'SnapshotIdentifier', 'RestoreType', 'RestoreToTime', 'RestoreTime', 'UseLatestRestorableTime'];

/** Whether a database resource starts from another one's data, and with it that one's port: a snapshot, a replica's source. */
export function startsFromAnother(resource: TemplateResource): boolean {
  const properties = resource.properties;
  if (properties === null || typeof properties !== 'object') return false;
  return Object.keys(properties).some((name) => name.startsWith('Source') || RESTORED_FROM.includes(name));
}
