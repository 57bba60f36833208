import { EngineKind } from './capacity';

/**
 * The parameter that makes the database refuse clients without TLS (SOURCES.rdsPostgresSsl, SOURCES.rdsMysqlRequireSsl,
 * SOURCES.rdsMariadbRequireSsl); in a cluster's parameter group for Aurora.
 */
export const TLS_PARAMETER: Readonly<Record<EngineKind, string>> = {
  'rds-postgresql': 'rds.force_ssl',
  'aurora-postgresql': 'rds.force_ssl',
  'rds-mysql': 'require_secure_transport',
  'rds-mariadb': 'require_secure_transport',
  'aurora-mysql': 'require_secure_transport',
};

/**
 * The first engine version whose default parameter group requires TLS; absent where no version does, so an unset
 * parameter leaves plain text allowed.
 * - RDS for PostgreSQL: rds.force_ssl is 1 from version 15, 0 before (SOURCES.rdsPostgresForceSslDefault).
 * - RDS for MySQL: require_secure_transport is ON for 9.7, OFF for 8.4 and lower (SOURCES.rdsMysqlRequireSsl); the
 *   versions between are taken as OFF, the safe side.
 * - RDS for MariaDB: ON from 11.8, OFF for 11.4 and earlier (SOURCES.rdsMariadbRequireSsl); likewise between.
 * - Aurora PostgreSQL: rds.force_ssl defaults to 0 (SOURCES.auroraPostgresSsl). Aurora MySQL: no published default
 *   that requires TLS, so an unset require_secure_transport counts as OFF, the safe side.
 */
export const TLS_DEFAULT_FROM_VERSION: Readonly<Partial<Record<EngineKind, readonly [number, number]>>> = {
  'rds-postgresql': [15, 0],
  'rds-mysql': [9, 7],
  'rds-mariadb': [11, 8],
};

/** The value of TLS_PARAMETER that requires TLS, as each engine's parameter group lists its allowed values. */
export const TLS_REQUIRED_VALUE: Readonly<Record<EngineKind, string>> = {
  'rds-postgresql': '1',
  'aurora-postgresql': '1',
  'rds-mysql': '1',
  'rds-mariadb': '1',
  'aurora-mysql': 'ON',
};
