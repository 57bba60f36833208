/**
 * Instance-class data used to estimate max_connections when it is not set explicitly.
 *
 * Every table states where it comes from. Classes that are not listed are not guessed: the
 * budget reports them as unknown and asks for an explicit max_connections.
 */

const GIB = 1024 ** 3;

/**
 * Nominal memory in GiB by class family and size.
 * Source: Amazon RDS User Guide, "Hardware specifications for DB instance classes"
 * (awsdocs/amazon-rds-user-guide doc_source/Concepts.DBInstanceClass.md @ f2e9ed3, June 2023; SOURCES.rdsInstanceClassHardware).
 */
const NOMINAL_MEMORY_GIB: Readonly<Record<string, Readonly<Record<string, number>>>> = (() => {
  const burstable = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };
  const general = { large: 8, xlarge: 16, '2xlarge': 32, '4xlarge': 64, '8xlarge': 128, '12xlarge': 192, '16xlarge': 256 };
  const memory = { large: 16, xlarge: 32, '2xlarge': 64, '4xlarge': 128, '8xlarge': 256, '12xlarge': 384, '16xlarge': 512 };
  return {
    t3: burstable,
    t4g: burstable,
    m5: { ...general, '24xlarge': 384 },
    m6g: general,
    m6i: { ...general, '24xlarge': 384, '32xlarge': 512 },
    m7g: general,
    r5: { ...memory, '24xlarge': 768 },
    r6g: memory,
    r6i: { ...memory, '24xlarge': 768, '32xlarge': 1024 },
    r7g: memory,
  };
})();

/** A class name split into family and size: `db.r6g.large` → `r6g`, `large`. */
export interface InstanceClassName {
  readonly family: string;
  readonly size: string;
}

/** Parses `db.r6g.large` or `r6g.large`; undefined when the text is not of that form. */
export function parseInstanceClass(instanceClass: string): InstanceClassName | undefined {
  const match = /^(?:db\.)?([a-z0-9-]+)\.([a-z0-9]+)$/.exec(instanceClass.trim().toLowerCase());
  return match ? { family: match[1], size: match[2] } : undefined;
}

/** Nominal memory of a class in bytes, or undefined when the class is not in the cited table. */
export function nominalMemoryBytes(instanceClass: string): number | undefined {
  const name = parseInstanceClass(instanceClass);
  const gib = name ? NOMINAL_MEMORY_GIB[name.family]?.[name.size] : undefined;
  return gib === undefined ? undefined : gib * GIB;
}

/**
 * Aurora MySQL default max_connections per class, the official table.
 * Source: Aurora User Guide, "Maximum connections to an Aurora MySQL DB instance"
 * (awsdocs/amazon-aurora-user-guide doc_source/AuroraMySQL.Managing.Performance.md; SOURCES.auroraMysqlMaxConnections).
 */
export const AURORA_MYSQL_DEFAULT_MAX_CONNECTIONS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {
    'db.t2.small': 45, 'db.t2.medium': 90,
    'db.t3.small': 45, 'db.t3.medium': 90, 'db.t3.large': 135,
    'db.t4g.medium': 90, 'db.t4g.large': 135,
    'db.r5.24xlarge': 7000, 'db.r4.16xlarge': 6000,
    'db.x2g.large': 2000, 'db.x2g.xlarge': 3000, 'db.x2g.2xlarge': 4000, 'db.x2g.4xlarge': 5000,
    'db.x2g.8xlarge': 6000, 'db.x2g.12xlarge': 7000, 'db.x2g.16xlarge': 7000,
  };
  const memoryOptimized = { large: 1000, xlarge: 2000, '2xlarge': 3000, '4xlarge': 4000, '8xlarge': 5000, '12xlarge': 6000, '16xlarge': 6000 };
  for (const family of ['r3', 'r4', 'r5', 'r6g']) {
    for (const [size, value] of Object.entries(memoryOptimized)) {
      table[`db.${family}.${size}`] ??= value;
    }
  }
  return table;
})();

/**
 * Aurora PostgreSQL default max_connections per class, the official table ("the highest value
 * that should ever be used").
 * Source: Aurora User Guide, "Maximum connections to an Aurora PostgreSQL DB instance"
 * (awsdocs/amazon-aurora-user-guide doc_source/AuroraPostgreSQL.Managing.md).
 */
export const AURORA_POSTGRESQL_DEFAULT_MAX_CONNECTIONS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {
    'db.t3.medium': 420, 'db.t3.large': 844, 'db.t4g.medium': 405, 'db.t4g.large': 844,
    'db.r4.large': 1600, 'db.r4.xlarge': 3200, 'db.r5.large': 1600, 'db.r5.xlarge': 3300,
    'db.r6g.large': 1722, 'db.r6g.xlarge': 3479, 'db.x2g.large': 3479, 'db.x2g.xlarge': 5000,
  };
  const largeSizes: Record<string, string[]> = {
    r4: ['2xlarge', '4xlarge', '8xlarge', '16xlarge'],
    r5: ['2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'],
    r6g: ['2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
    x2g: ['2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  };
  for (const [family, sizes] of Object.entries(largeSizes)) {
    for (const size of sizes) {
      table[`db.${family}.${size}`] = 5000;
    }
  }
  return table;
})();

/** One row of the Aurora Serverless v2 table: the max_connections held for a maximum capacity. */
export interface ServerlessV2Row {
  readonly maxCapacityAcu: number;
  readonly auroraMysql: number;
  readonly auroraPostgresql: number;
}

/**
 * Aurora Serverless v2 max_connections by maximum ACU (constant, computed at max ACU).
 * Source: Aurora User Guide, "Maximum connections for Aurora Serverless v2"
 * (awsdocs/amazon-aurora-user-guide doc_source/aurora-serverless-v2.setting-capacity.md).
 * Ascending by capacity.
 */
export const SERVERLESS_V2_MAX_CONNECTIONS: readonly ServerlessV2Row[] = [
  { maxCapacityAcu: 1, auroraMysql: 90, auroraPostgresql: 189 },
  { maxCapacityAcu: 4, auroraMysql: 135, auroraPostgresql: 823 },
  { maxCapacityAcu: 8, auroraMysql: 1000, auroraPostgresql: 1669 },
  { maxCapacityAcu: 16, auroraMysql: 2000, auroraPostgresql: 3360 },
  { maxCapacityAcu: 32, auroraMysql: 3000, auroraPostgresql: 5000 },
  { maxCapacityAcu: 64, auroraMysql: 4000, auroraPostgresql: 5000 },
  { maxCapacityAcu: 128, auroraMysql: 5000, auroraPostgresql: 5000 },
];

/**
 * Aurora PostgreSQL Serverless v2 caps max_connections at 2,000 when the minimum capacity is
 * 0.5 ACU or lower (re:Post adds that a minimum of 0 behaves the same).
 * Sources: aurora-serverless-v2.setting-capacity; https://repost.aws/articles/ARm5e6RHE3R4mnHS2S-UZUwA
 */
export const SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_CAP = 2000;
/** The minimum capacity at or below which the 2,000 cap applies. */
export const SERVERLESS_V2_POSTGRESQL_LOW_MINIMUM_ACU = 0.5;
