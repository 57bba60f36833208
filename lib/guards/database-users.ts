import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'crypto';

/**
 * What the user manager does to a database: creates each consumer's user with its connection limit, changes limits,
 * and drops users the budget no longer names, unless they still hold connections. Driver-neutral: the handler passes
 * a session over node-postgres or mysql2, and the tests pass the same drivers connected to a local server.
 */

/** One statement's rows, whatever the driver. */
export interface SqlSession {
  query(text: string, values?: readonly unknown[]): Promise<ReadonlyArray<Record<string, unknown>>>;
}

/** The user a consumer connects as, with the password from its secret (read only when needed). */
export interface WantedUser {
  readonly name: string;
  readonly connectionLimit: number;
  /** Whether the password must be set: the user is new, or its secret changed since the last deployment. */
  readonly secretChanged: boolean;
  readonly password: () => Promise<string>;
}

/** What one run did, for the deployment's log and the custom resource's attributes. */
export interface UsersOutcome {
  readonly created: readonly string[];
  /** `name: old → new`. */
  readonly limitsChanged: readonly string[];
  readonly dropped: readonly string[];
  /** A user the budget no longer names but that still holds connections or owns objects: kept, with the reason. */
  readonly kept: readonly string[];
}

/** One engine family's statements. */
export interface UsersDialect {
  readonly name: string;
  /** The user's connection limit, or undefined when it does not exist. */
  limitOf(session: SqlSession, user: string): Promise<number | undefined>;
  /**
   * The users an earlier run made (`cb_` users; on PostgreSQL, members of the group role): a user kept once because it
   * held connections is no longer named by the next deployment's old properties, and is found here instead.
   */
  managedUsers(session: SqlSession, access: string | undefined): Promise<string[]>;
  connectionsOf(session: SqlSession, user: string): Promise<number>;
  create(session: SqlSession, user: string, password: string, limit: number): Promise<void>;
  setLimit(session: SqlSession, user: string, limit: number): Promise<void>;
  setPassword(session: SqlSession, user: string, password: string): Promise<void>;
  /** Lets the user work in the database: membership of a group role (PostgreSQL), or the database's privileges (MySQL). */
  grantAccess(session: SqlSession, user: string, access: string | undefined): Promise<void>;
  drop(session: SqlSession, user: string): Promise<void>;
}

/**
 * Brings the database's users in line with the budget. `previous`: the users the last deployment named, so the ones
 * it no longer names are dropped; a user that still has connections (a task draining) or owns objects is kept and
 * named in the outcome, never dropped silently.
 */
export async function applyUsers(session: SqlSession, dialect: UsersDialect, wanted: readonly WantedUser[], previous: readonly string[],
  access: string | undefined): Promise<UsersOutcome> {
  const created: string[] = [];
  const limitsChanged: string[] = [];
  const dropped: string[] = [];
  const kept: string[] = [];
  for (const user of wanted) {
    const limit = await dialect.limitOf(session, user.name);
    if (limit === undefined) {
      await dialect.create(session, user.name, await user.password(), user.connectionLimit);
      created.push(user.name);
    } else {
      if (limit !== user.connectionLimit) {
        await dialect.setLimit(session, user.name, user.connectionLimit);
        limitsChanged.push(`${user.name}: ${limit} → ${user.connectionLimit}`);
      }
      if (user.secretChanged) await dialect.setPassword(session, user.name, await user.password());
    }
    await dialect.grantAccess(session, user.name, access);
  }
  const names = new Set(wanted.map((u) => u.name));
  const earlier = [...new Set([...previous, ...await dialect.managedUsers(session, access)])].sort();
  for (const name of earlier.filter((n) => !names.has(n))) {
    if (await dialect.limitOf(session, name) === undefined) continue;
    const connections = await dialect.connectionsOf(session, name);
    if (connections > 0) {
      kept.push(`${name} (${connections} open connection${connections === 1 ? '' : 's'}; drop it once they close)`);
      continue;
    }
    try {
      await dialect.drop(session, name);
      dropped.push(name);
    } catch (e) {
      kept.push(`${name} (${(e as Error).message}; reassign or drop what it owns, then drop it)`);
    }
  }
  return { created, limitsChanged, dropped, kept };
}

/** Iterations of a SCRAM-SHA-256 verifier: PostgreSQL's own default, scram_iterations (SOURCES.postgresScramVerifier). */
const SCRAM_ITERATIONS = 4096;
const SCRAM_SALT_BYTES = 16;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677). Sent instead of the password, so
 * the password never appears in a statement a server log could keep.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(SCRAM_SALT_BYTES), iterations = SCRAM_ITERATIONS): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Runs a statement PostgreSQL builds itself with format(): %I quotes identifiers and %L literals, on the server. */
async function formatted(session: SqlSession, template: string, values: readonly unknown[], types: readonly string[]): Promise<void> {
  const placeholders = types.map((type, i) => `$${i + 1}::${type}`).join(', ');
  const rows = await session.query(`SELECT format('${template}', ${placeholders}) AS statement`, values);
  await session.query(String(rows[0].statement));
}

/** PostgreSQL: roles with LOGIN and CONNECTION LIMIT (SOURCES.postgresRoleConnectionLimit), members of a group role. */
export const POSTGRES_USERS: UsersDialect = {
  name: 'PostgreSQL',
  async managedUsers(session, group) {
    if (group === undefined) return [];
    const rows = await session.query(`SELECT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
      WHERE g.rolname = $1 AND m.rolname LIKE 'cb\\_%'`, [group]);
    return rows.map((r) => String(r.rolname));
  },
  async limitOf(session, user) {
    const rows = await session.query('SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [user]);
    return rows.length === 0 ? undefined : Number(rows[0].rolconnlimit);
  },
  async connectionsOf(session, user) {
    const rows = await session.query('SELECT count(*)::int AS connections FROM pg_stat_activity WHERE usename = $1', [user]);
    return Number(rows[0].connections);
  },
  async create(session, user, password, limit) {
    await formatted(session, 'CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L CONNECTION LIMIT %s',
      [user, scramVerifier(password), limit], ['text', 'text', 'int']);
  },
  async setLimit(session, user, limit) {
    await formatted(session, 'ALTER ROLE %I CONNECTION LIMIT %s', [user, limit], ['text', 'int']);
  },
  async setPassword(session, user, password) {
    await formatted(session, 'ALTER ROLE %I PASSWORD %L', [user, scramVerifier(password)], ['text', 'text']);
  },
  async grantAccess(session, user, group) {
    if (group === undefined) return;
    const exists = await session.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [group]);
    if (exists.length === 0) await formatted(session, 'CREATE ROLE %I NOLOGIN', [group], ['text']);
    await formatted(session, 'GRANT %I TO %I', [group, user], ['text', 'text']);
  },
  async drop(session, user) {
    await formatted(session, 'DROP ROLE %I', [user], ['text']);
  },
};

/**
 * MySQL and MariaDB: accounts `name@'%'` with MAX_USER_CONNECTIONS (SOURCES.mysqlMaxUserConnections). There a limit of
 * 0 means no limit, so a consumer whose worst case is 0 gets a locked account instead.
 */
export const MYSQL_USERS: UsersDialect = {
  name: 'MySQL',
  async managedUsers(session) {
    const rows = await session.query("SELECT User AS user FROM mysql.user WHERE Host = '%' AND User LIKE 'cb\\\\_%'");
    return rows.map((r) => String(r.user));
  },
  async limitOf(session, user) {
    const rows = await session.query("SELECT max_user_connections FROM mysql.user WHERE User = ? AND Host = '%'", [user]);
    if (rows.length === 0) return undefined;
    // MySQL keeps the lock in mysql.user, MariaDB in mysql.global_priv: SHOW CREATE USER says it on both.
    const [shown] = Object.values((await session.query("SHOW CREATE USER ?@'%'", [user]))[0]);
    return /\bACCOUNT LOCK\b/.test(String(shown)) ? 0 : Number(rows[0].max_user_connections);
  },
  async connectionsOf(session, user) {
    const rows = await session.query('SELECT COUNT(*) AS connections FROM information_schema.PROCESSLIST WHERE USER = ?', [user]);
    return Number(rows[0].connections);
  },
  async create(session, user, password, limit) {
    await session.query(`CREATE USER ?@'%' IDENTIFIED BY ? ${mysqlLimit(limit)}`, [user, password]);
  },
  async setLimit(session, user, limit) {
    await session.query(`ALTER USER ?@'%' ${mysqlLimit(limit)}`, [user]);
  },
  async setPassword(session, user, password) {
    await session.query("ALTER USER ?@'%' IDENTIFIED BY ?", [user, password]);
  },
  async grantAccess(session, user, databaseName) {
    if (databaseName === undefined) return;
    await session.query("GRANT ALL PRIVILEGES ON ??.* TO ?@'%'", [databaseName, user]);
  },
  async drop(session, user) {
    await session.query("DROP USER ?@'%'", [user]);
  },
};

function mysqlLimit(limit: number): string {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`a connection limit must be a whole number of at least 0, got ${limit}`);
  return limit === 0 ? 'WITH MAX_USER_CONNECTIONS 1 ACCOUNT LOCK' : `WITH MAX_USER_CONNECTIONS ${limit} ACCOUNT UNLOCK`;
}
