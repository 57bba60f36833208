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
 * The port a database listens on when its template sets none: "Default: RDS for MariaDB - 3306, RDS for MySQL - 3306,
 * RDS for PostgreSQL - 5432" (CreateDBInstance, SOURCES.rdsCreateDbInstancePort) and "RDS for MySQL and Aurora MySQL -
 * 3306, RDS for PostgreSQL and Aurora PostgreSQL - 5432" (CreateDBCluster, SOURCES.rdsCreateDbClusterPort).
 */
export const DATABASE_DEFAULT_PORT: Readonly<Record<EngineKind, number>> = {
  'rds-postgresql': 5432,
  'aurora-postgresql': 5432,
  'rds-mysql': 3306,
  'rds-mariadb': 3306,
  'aurora-mysql': 3306,
};

/** The engine a database resource deploys: its literal `Engine` and the budget's kind of it; undefined when not literal. */
export function deployedEngine(resource: TemplateResource): { readonly engineType: string; readonly kind?: EngineKind } | undefined {
  const engineType = literalText(field(resource.properties, 'Engine'));
  // RDS takes engine names in any case; CDK writes them in lower case.
  return engineType === undefined ? undefined : { engineType, kind: engineKindOf(engineType.toLowerCase()) };
}
