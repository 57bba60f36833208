import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { applyUsers, MYSQL_USERS, POSTGRES_USERS, SqlSession, UsersDialect, WantedUser } from '../../lib/guards/database-users';
import { manageUsers } from '../../lib/guards/database-users-handler';
import { connectMysql } from '../../lib/guards/database-users-mysql';
import { connectPostgres } from '../../lib/guards/database-users-postgres';
import { LocalServer, MARIADB_INSTALLED, startMariadb, startPostgres } from '../helpers/local-databases';

/**
 * The user manager's statements, run with the real drivers against a real PostgreSQL and a real MariaDB: users are
 * created with their limits, limits change, a client that opens more than its limit is refused while another
 * consumer still connects, and a user that still holds connections is kept, not dropped.
 */

interface Engine {
  readonly name: string;
  readonly dialect: UsersDialect;
  readonly start: () => Promise<LocalServer>;
  /** A session as the server's superuser. */
  readonly admin: (server: LocalServer) => Promise<{ session: SqlSession; close: () => Promise<void> }>;
  /** Opens one connection as an application user; resolves to its closer, or rejects with the server's refusal. */
  readonly login: (server: LocalServer, user: string, password: string) => Promise<() => Promise<void>>;
  readonly tooMany: RegExp;
  readonly refusedLogin: RegExp;
  /** How the server refuses a user whose limit is 0. */
  readonly noneAllowed: RegExp;
  readonly access: string;
}

const ENGINES: readonly Engine[] = [
  {
    name: 'PostgreSQL',
    dialect: POSTGRES_USERS,
    start: startPostgres,
    admin: (server) => connectPostgres(false)({ host: server.socket, port: 5432, user: 'postgres', password: '', database: undefined }),
    login: async (server, user, password) => {
      const client = new Client({ host: server.socket, port: 5432, user, password, database: 'postgres' });
      await client.connect();
      return () => client.end();
    },
    tooMany: /too many connections for role "cb_api_[0-9a-f]{8}"/,
    refusedLogin: /password authentication failed for user "cb_api_[0-9a-f]{8}"/,
    noneAllowed: /too many connections for role "cb_api_[0-9a-f]{8}"/,
    access: 'app_users',
  },
  {
    name: 'MariaDB',
    dialect: MYSQL_USERS,
    start: startMariadb,
    admin: (server) => connectMysql(false, server.socket)({ host: '', port: 0, user: 'root', password: '', database: undefined }),
    login: async (server, user, password) => {
      const connection = await createConnection({ socketPath: server.socket, user, password });
      return () => connection.end();
    },
    tooMany: /User 'cb_api_[0-9a-f]{8}' has exceeded the 'max_user_connections' resource/,
    refusedLogin: /Access denied for user 'cb_api_[0-9a-f]{8}'/,
    // MySQL's limit of 0 means no limit, so the manager locks the account instead.
    noneAllowed: /Access denied, this account is locked/,
    access: 'app',
  },
];

/** How long a closed client's session may take to end on the server. */
const SESSION_END_TIMEOUT_MS = 30_000;

const API = 'cb_api_0a1b2c3d';
const JOBS = 'cb_jobs_4e5f6a7b';
const PASSWORDS: Record<string, string> = { [API]: "api-'pass\"word;--", [JOBS]: 'jobs-password-2' };

function wanted(name: string, connectionLimit: number, secretChanged = false): WantedUser {
  return { name, connectionLimit, secretChanged, password: async () => PASSWORDS[name] };
}

/** MariaDB's server comes from the system's packages only: where it is not installed, its tests are skipped, and named so. */
const installed = (engine: Engine) => engine.dialect !== MYSQL_USERS || MARIADB_INSTALLED;

ENGINES.forEach((engine) => (installed(engine) ? describe : describe.skip)(`user manager on ${engine.name}${installed(engine) ? '' : ' (needs mariadb-server)'}`, () => {
  let server: LocalServer;
  let admin: { session: SqlSession; close: () => Promise<void> };
  const open: Array<() => Promise<void>> = [];
  const closeAll = async () => { for (const close of open.splice(0)) await close(); };

  beforeAll(async () => {
    server = await engine.start();
    admin = await engine.admin(server);
    if (engine.dialect === MYSQL_USERS) await admin.session.query('CREATE DATABASE app');
  });
  afterEach(closeAll);
  afterAll(async () => {
    await closeAll();
    await admin?.close();
    await server?.stop();
  });

  test('creates users with their limits, and refuses a client past its limit while another consumer connects', async () => {
    const outcome = await applyUsers(admin.session, engine.dialect, [wanted(API, 2), wanted(JOBS, 3)], [], engine.access);
    expect(outcome).toEqual({ created: [API, JOBS], limitsChanged: [], dropped: [], kept: [] });
    expect(await engine.dialect.limitOf(admin.session, API)).toBe(2);
    expect(await engine.dialect.limitOf(admin.session, JOBS)).toBe(3);

    open.push(await engine.login(server, API, PASSWORDS[API]), await engine.login(server, API, PASSWORDS[API]));
    await expect(engine.login(server, API, PASSWORDS[API])).rejects.toThrow(engine.tooMany);
    open.push(await engine.login(server, JOBS, PASSWORDS[JOBS]));
    expect(await engine.dialect.connectionsOf(admin.session, API)).toBe(2);
  });

  test('a wrong password is refused: the user logs in with its own secret only', async () => {
    await expect(engine.login(server, API, 'not-the-password')).rejects.toThrow(engine.refusedLogin);
  });

  test('a changed limit holds at once, and a second run changes nothing', async () => {
    const raised = await applyUsers(admin.session, engine.dialect, [wanted(API, 3), wanted(JOBS, 3)], [API, JOBS], engine.access);
    expect(raised).toEqual({ created: [], limitsChanged: [`${API}: 2 → 3`], dropped: [], kept: [] });
    for (let i = 0; i < 3; i++) open.push(await engine.login(server, API, PASSWORDS[API]));
    await expect(engine.login(server, API, PASSWORDS[API])).rejects.toThrow(engine.tooMany);
    const again = await applyUsers(admin.session, engine.dialect, [wanted(API, 3), wanted(JOBS, 3)], [API, JOBS], engine.access);
    expect(again).toEqual({ created: [], limitsChanged: [], dropped: [], kept: [] });
  });

  test('a limit of 0 refuses every connection', async () => {
    await applyUsers(admin.session, engine.dialect, [wanted(API, 0), wanted(JOBS, 3)], [API, JOBS], engine.access);
    expect(await engine.dialect.limitOf(admin.session, API)).toBe(0);
    await expect(engine.login(server, API, PASSWORDS[API])).rejects.toThrow(engine.noneAllowed);
    await applyUsers(admin.session, engine.dialect, [wanted(API, 2), wanted(JOBS, 3)], [API, JOBS], engine.access);
    open.push(await engine.login(server, API, PASSWORDS[API]));
  });

  test('a changed secret sets the new password', async () => {
    PASSWORDS[JOBS] = 'jobs-password-rotated';
    await applyUsers(admin.session, engine.dialect, [wanted(API, 2), wanted(JOBS, 3, true)], [API, JOBS], engine.access);
    open.push(await engine.login(server, JOBS, 'jobs-password-rotated'));
  });

  test('a user the budget no longer names is kept while it holds connections, and dropped once they close', async () => {
    open.push(await engine.login(server, JOBS, PASSWORDS[JOBS]));
    const kept = await applyUsers(admin.session, engine.dialect, [wanted(API, 2)], [API, JOBS], engine.access);
    expect(kept).toEqual({ created: [], limitsChanged: [], dropped: [], kept: [`${JOBS} (1 open connection; drop it once they close)`] });
    await closeAll();
    // The server ends a closed client's session a moment after the client leaves: wait for it (a loaded machine may
    // take seconds), not for a fixed time.
    const deadline = Date.now() + SESSION_END_TIMEOUT_MS;
    while (Date.now() < deadline && await engine.dialect.connectionsOf(admin.session, JOBS) > 0) await new Promise((r) => setTimeout(r, 50));
    // The next deployment's old properties no longer name the kept user: the manager finds it as one of its own.
    const dropped = await applyUsers(admin.session, engine.dialect, [wanted(API, 2)], [API], engine.access);
    expect(dropped).toEqual({ created: [], limitsChanged: [], dropped: [JOBS], kept: [] });
    expect(await engine.dialect.limitOf(admin.session, JOBS)).toBeUndefined();
  });
}));

describe('the PostgreSQL handler, from a CloudFormation event', () => {
  const secrets = mockClient(SecretsManagerClient);
  let server: LocalServer;

  beforeAll(async () => {
    server = await startPostgres();
    secrets.on(GetSecretValueCommand, { SecretId: 'master' }).resolves({ SecretString: JSON.stringify({ username: 'postgres', password: '' }) });
    secrets.on(GetSecretValueCommand, { SecretId: 'api' }).resolves({ SecretString: JSON.stringify({ username: API, password: 'api-secret' }) });
  });
  afterAll(async () => {
    secrets.restore();
    await server?.stop();
  });

  test('reads the master and user secrets, creates the users, and changes a limit on update', async () => {
    const properties = (limit: number) => ({
      DatabasePath: 'Data/Db', Host: server.socket, Port: '5432', DatabaseName: '', MasterSecretArn: 'master', Access: 'app_users',
      Users: JSON.stringify([{ name: API, secretArn: 'api', connectionLimit: limit }]),
    });
    const connect = connectPostgres(false);
    // The deployment's log says what the run did.
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const created = await manageUsers({ RequestType: 'Create', ResourceProperties: properties(4) }, POSTGRES_USERS, connect);
    expect(created).toEqual({ PhysicalResourceId: 'connection-budget-users-Data/Db', Data: { Summary: 'created 1, limits changed 0, dropped 0, kept 0' } });
    const updated = await manageUsers({ RequestType: 'Update', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: properties(6),
      OldResourceProperties: properties(4) }, POSTGRES_USERS, connect);
    expect(updated.Data).toEqual({ Summary: 'created 0, limits changed 1, dropped 0, kept 0' });
    expect(log.mock.calls).toEqual([
      [`Connection budget user manager (PostgreSQL): created ${API}`], [`Connection budget user manager (PostgreSQL): limits changed ${API}: 4 → 6`],
    ]);
    log.mockRestore();
    const client = new Client({ host: server.socket, user: API, password: 'api-secret', database: 'postgres' });
    await client.connect();
    expect((await client.query('SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user')).rows).toEqual([{ rolconnlimit: 6 }]);
    await client.end();
  });

  test.each([['rds_superuser'], ['pg_read_all_data'], ['Admins']])('refuses to grant every user the role %s (an overridden Access)', async (access) => {
    await expect(manageUsers({ RequestType: 'Create', ResourceProperties: {
      DatabasePath: 'Db', Host: server.socket, Port: '5432', MasterSecretArn: 'master', Access: access, Users: '[]',
    } }, POSTGRES_USERS, connectPostgres(false))).rejects.toThrow(
      `Connection budget user manager: property Access "${access}" is not a group role of the library's (lowercase, not pg_ or rds): no user is granted it.`);
  });

  test('a database that is not answering yet (resuming, starting) is tried again', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    let attempts = 0;
    const starting = async (connection: Parameters<ReturnType<typeof connectPostgres>>[0]) => {
      attempts += 1;
      if (attempts === 1) throw new Error('the database system is starting up');
      return connectPostgres(false)(connection);
    };
    const result = await manageUsers({ RequestType: 'Create', ResourceProperties: {
      // A group of its own: the users of app_users (the test above) are not this resource's to drop.
      DatabasePath: 'Db', Host: server.socket, Port: '5432', MasterSecretArn: 'master', Access: 'retry_users', Users: '[]',
    } }, POSTGRES_USERS, starting);
    expect([attempts, result.Data]).toEqual([2, { Summary: 'created 0, limits changed 0, dropped 0, kept 0' }]);
    log.mockRestore();
  });

  test('a delete never fails, whatever its properties hold', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await expect(manageUsers({ RequestType: 'Delete', PhysicalResourceId: 'p', ResourceProperties: { Users: 'not json' } }, POSTGRES_USERS, connectPostgres(false)))
      .resolves.toEqual({ PhysicalResourceId: 'p' });
    log.mockRestore();
  });

  test('refuses a Users property that names a user in characters the constructs never write', async () => {
    await expect(manageUsers({ RequestType: 'Create', ResourceProperties: {
      DatabasePath: 'Db', Host: server.socket, Port: '5432', MasterSecretArn: 'master', Users: JSON.stringify([{ name: 'x"; DROP ROLE postgres; --', secretArn: 'a', connectionLimit: 1 }]),
    } }, POSTGRES_USERS, connectPostgres(false))).rejects.toThrow(
      'Connection budget user manager: property Users must list { name (lowercase letters, digits, _), secretArn, connectionLimit (0 or more) }, '
      + 'got "[{\\"name\\":\\"x\\\\\\"; DROP ROLE postgres; --\\",\\"secretArn\\":\\"a\\",\\"connectionLimit\\":1}]".');
  });
});
