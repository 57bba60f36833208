import { PresetSpec } from '../budget';

/** The unit of timeouts in a custom mapping. */
export enum PoolTimeUnit {
  /** Timeouts in whole milliseconds. */
  MILLISECONDS = 'milliseconds',
  /** Timeouts in whole seconds, rounded down. */
  SECONDS = 'seconds',
}

/** Environment variable names for a custom mapping of pool settings. */
export interface CustomPoolVariables {
  /**
   * Variable that receives the pool maximum.
   */
  readonly maxSize: string;

  /**
   * Variable that receives the connections kept open while idle.
   *
   * @default - not delivered
   */
  readonly minIdle?: string;

  /**
   * Variable that receives the overflow per pool (connections beyond the maximum).
   *
   * @default - not delivered; the consumer's overflowPerPool must then be 0
   */
  readonly maxOverflow?: string;

  /**
   * Variable that receives how long a request waits for a pooled connection.
   *
   * @default - not delivered
   */
  readonly acquireTimeout?: string;

  /**
   * Variable that receives how long an idle connection stays open.
   *
   * @default - not delivered
   */
  readonly idleTimeout?: string;

  /**
   * Variable that receives the longest life of a connection.
   *
   * @default - not delivered
   */
  readonly maxLifetime?: string;

  /**
   * Variable that receives the host to connect to: the proxy's endpoint, or the database's for a direct client.
   *
   * @default - not delivered
   */
  readonly host?: string;

  /**
   * Variable that receives the port to connect to.
   *
   * @default - not delivered
   */
  readonly port?: string;

  /**
   * Variable that receives the database's name.
   *
   * @default - not delivered
   */
  readonly databaseName?: string;

  /**
   * Variable that receives the consumer's own database user, when its database gives each consumer one (BudgetedDatabase).
   *
   * @default - not delivered
   */
  readonly user?: string;

  /**
   * Variable that receives the ARN of the secret holding the consumer's password; read it when connecting, since rotation changes it.
   *
   * @default - not delivered
   */
  readonly secretArn?: string;

  /**
   * Unit of the timeout values.
   *
   * @default PoolTimeUnit.MILLISECONDS
   */
  readonly timeUnit?: PoolTimeUnit;
}

/**
 * How pool settings reach a consumer: the environment variables (or connection-string parameters)
 * its framework reads. Every preset delivers the pool maximum, so no framework default that is
 * unbounded or depends on the host ever applies.
 */
export class PoolSettingsPreset {
  /**
   * `<prefix>_MAX`, `_MIN`, `_MAX_OVERFLOW`, `_ACQUIRE_TIMEOUT_MS`, `_IDLE_TIMEOUT_MS`, `_MAX_LIFETIME_MS`,
   * for code that reads them itself.
   */
  public static generic(prefix: string = 'DB_POOL'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'generic', prefix });
  }

  /**
   * Spring Boot with HikariCP: `SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE`, `_MINIMUMIDLE`,
   * `_CONNECTIONTIMEOUT`, `_IDLETIMEOUT`, `_MAXLIFETIME` (milliseconds), the names relaxed binding
   * maps to `spring.datasource.hikari.*`. Pass another prefix for a second DataSource.
   */
  public static springBootHikari(prefix: string = 'SPRING_DATASOURCE_HIKARI'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'spring-boot-hikari', prefix });
  }

  /**
   * SQLAlchemy: `SQLALCHEMY_POOL_SIZE`, `_MAX_OVERFLOW`, `_POOL_TIMEOUT` and `_POOL_RECYCLE` (seconds), for
   * `create_engine(pool_size=..., max_overflow=..., pool_timeout=..., pool_recycle=...)`. The overflow is
   * always delivered (the consumer's overflowPerPool, 0 by default), so SQLAlchemy's silent default of 10 never applies.
   */
  public static sqlAlchemy(prefix: string = 'SQLALCHEMY'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'sqlalchemy', prefix });
  }

  /**
   * Rails: `RAILS_MAX_THREADS`, which the generated database.yml reads as `pool` (and Puma as its thread
   * count), plus `DB_CHECKOUT_TIMEOUT` and `DB_IDLE_TIMEOUT` (seconds) for database.yml.
   */
  public static rails(): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'rails' });
  }

  /**
   * node-postgres `pg.Pool` (and Prisma 7 over its pg adapter): `PG_POOL_MAX`, `_MIN`,
   * `_IDLE_TIMEOUT_MILLIS`, `_CONNECTION_TIMEOUT_MILLIS`, `_MAX_LIFETIME_SECONDS`, named after the pool's options.
   */
  public static nodePostgres(prefix: string = 'PG_POOL'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'node-postgres', prefix });
  }

  /**
   * pgx `pgxpool`: one variable with the connection-string parameters `pool_max_conns`, `pool_min_conns`,
   * `pool_max_conn_lifetime` and `pool_max_conn_idle_time`, to append to the connection URL's query.
   */
  public static pgx(variable: string = 'PGX_POOL_PARAMS'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'pgx', variable });
  }

  /**
   * Npgsql: one variable with the connection-string keywords `Maximum Pool Size`, `Minimum Pool Size`,
   * `Timeout`, `Connection Idle Lifetime` and `Connection Lifetime`, to append to the connection string.
   */
  public static npgsql(variable: string = 'NPGSQL_POOL_OPTIONS'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'npgsql', variable });
  }

  /**
   * Prisma ORM 6 and earlier: one variable with the `DATABASE_URL` parameters `connection_limit` and
   * `pool_timeout` (seconds). Prisma 7 takes its pool from the driver adapter: use nodePostgres().
   */
  public static prisma(variable: string = 'PRISMA_POOL_PARAMS'): PoolSettingsPreset {
    return new PoolSettingsPreset({ framework: 'prisma', variable });
  }

  /**
   * Your own variable names, one per setting; a setting without a name is not delivered.
   */
  public static custom(variables: CustomPoolVariables): PoolSettingsPreset {
    return new PoolSettingsPreset({
      framework: 'custom',
      variables: { ...variables, timeUnit: variables.timeUnit ?? PoolTimeUnit.MILLISECONDS },
    });
  }

  /** @internal */
  public readonly _spec: PresetSpec;

  private constructor(spec: PresetSpec) {
    this._spec = spec;
  }
}
