import { setMaxListeners } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { RehearsalError } from './errors';
import { Keeper, ServiceUser } from './keeper';
import { SERVER_STEP_TIMEOUT_MS } from './run-directory';
import { serverOutput, STARTUP_POLL_MS, waitForSession } from './server-output';
import { AcceptWindow, connectAndQuery, LISTEN_BACKLOG, Session, Target } from './wire';

/** PgBouncer client slots beyond the plan's connections: its admin sessions and a margin, so its own client limit never decides a rehearsal. */
const SPARE_CLIENT_SLOTS = 100;

/** What PgBouncer stands in front of, and for whom. */
export interface PgBouncerSetup {
  readonly program: string;
  readonly dir: string;
  readonly user: ServiceUser | undefined;
  /** Its socket's port, the database's, and the socket mode. */
  readonly port: number;
  readonly databasePort: number;
  readonly socketMode: string;
  /** The role its clients log in as, and the one it logs in to PostgreSQL as (limited to the ceiling there too); and its admin. */
  readonly clientRole: string;
  readonly serverRole: string;
  readonly adminRole: string;
  /** The database alias its clients ask for. */
  readonly database: string;
  /** The proxy's ceiling: the most server connections it opens. */
  readonly ceiling: number;
  /** The plan's clients through it, and the server connections it opens for them before they start. */
  readonly clients: number;
  readonly servers: number;
  readonly waitSeconds: number;
}

/**
 * Starts PgBouncer in session pooling, so each client holds its own server connection: the pinned worst case of
 * RDS Proxy. Its database-side limit is the proxy's ceiling, and a client waits for a server connection at most
 * `waitSeconds`, like the proxy's borrow timeout.
 *
 * PgBouncer opens server connections one at a time (objects.c, launch_new_connection: "Allow only a single
 * connection attempt at a time"), so on a busy machine a burst of clients would wait for PostgreSQL to start
 * backends, not for the budget. It therefore opens every server connection the clients can use before this
 * returns, and only then arms the wait: a client then waits only when the proxy's ceiling is taken.
 * Returns where its clients connect, and its admin console, which the caller closes.
 */
export async function startPgBouncer(setup: PgBouncerSetup, keeper: Keeper, window: AcceptWindow): Promise<{ target: Target; console: Session }> {
  const { dir } = setup;
  const ini = path.join(dir, 'pgbouncer.ini');
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${setup.clientRole}" ""\n"${setup.adminRole}" ""\n`);
  fs.writeFileSync(ini, [
    '[databases]',
    `${setup.database} = host=${dir} port=${setup.databasePort} dbname=postgres user=${setup.serverRole}`,
    '[pgbouncer]',
    'listen_addr =',
    `listen_port = ${setup.port}`,
    `listen_backlog = ${LISTEN_BACKLOG}`,
    `unix_socket_dir = ${dir}`,
    `unix_socket_mode = ${setup.socketMode}`,
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    `admin_users = ${setup.adminRole}`,
    'pool_mode = session',
    `max_client_conn = ${setup.clients + SPARE_CLIENT_SLOTS}`,
    `default_pool_size = ${setup.ceiling}`,
    `max_db_connections = ${setup.ceiling}`,
    'reserve_pool_size = 0',
    // Queued clients wait without limit while the server connections are opened; the wait is armed after.
    'query_wait_timeout = 0',
    // Opened server connections stay, unchecked: the clients that come after the opening find them ready.
    'server_idle_timeout = 0',
    'server_check_query =',
    'server_reset_query =',
    'ignore_startup_parameters = application_name',
    '',
  ].join('\n'));
  if (setup.user) {
    for (const file of ['pgbouncer.ini', 'userlist.txt']) fs.chownSync(path.join(dir, file), setup.user.uid, setup.user.gid);
  }
  const pgbouncer = keeper.start('pgbouncer', setup.program, [ini], setup.user);
  const socket = path.join(dir, `.s.PGSQL.${setup.port}`);
  const adminConsole = await waitForSession({ socket, user: setup.adminRole, database: 'pgbouncer' }, pgbouncer, 'pgbouncer', dir);
  try {
    const target: Target = { socket, user: setup.clientRole, database: setup.database };
    await openServerConnections(target, adminConsole, setup.servers, window, dir);
    await adminConsole.query(`SET query_wait_timeout = ${setup.waitSeconds}`);
    return { target, console: adminConsole };
  } catch (e) {
    adminConsole.close();
    throw e;
  }
}

/**
 * Has PgBouncer open `count` server connections and keep them: as many clients connect at once and each runs
 * a query (in session pooling each holds its own server connection), then they leave, and the console must show
 * every one of those server connections idle in the pool. PgBouncer's min_pool_size would open them only with a
 * client connected, one per maintenance pass, three a second (janitor.c, check_pool_size and full_maint_period).
 * However long the opening takes, it goes on while PgBouncer keeps opening connections.
 */
async function openServerConnections(proxy: Target, adminConsole: Session, count: number, window: AcceptWindow, dir: string): Promise<void> {
  const stalled = new AbortController();
  setMaxListeners(count + 1, stalled.signal);
  let opened = 0;
  let progress = { opened, at: Date.now() };
  const watch = setInterval(() => {
    if (opened > progress.opened) progress = { opened, at: Date.now() };
    else if (Date.now() - progress.at > SERVER_STEP_TIMEOUT_MS) stalled.abort(`no server connection opened for ${SERVER_STEP_TIMEOUT_MS / 1000} s`);
  }, STARTUP_POLL_MS);
  const attempts = await Promise.all(Array.from({ length: count }, () =>
    connectAndQuery(proxy, 'SELECT 1', { signal: stalled.signal, window }).then((attempt) => {
      if (attempt.ok) opened += 1;
      return attempt;
    })));
  clearInterval(watch);
  for (const attempt of attempts) {
    if (attempt.ok) attempt.release();
  }
  const failed = attempts.flatMap((a) => (a.ok ? [] : [a.message]));
  if (failed.length > 0) {
    throw new RehearsalError(`PgBouncer opened ${opened} of the ${count} server connections its clients need (${[...new Set(failed)].join('; ')}), `
      + `so the rehearsal cannot start. From its output:\n${serverOutput(dir, 'pgbouncer')}`);
  }
  const deadline = Date.now() + SERVER_STEP_TIMEOUT_MS;
  for (;;) {
    // The pool appears with its first client; without clients there is none.
    const pool = (await adminConsole.query('SHOW POOLS')).find((row) => row.database === proxy.database);
    const idle = Number(pool?.sv_idle ?? 0);
    if (idle === count && Number(pool?.cl_active ?? 0) === 0 && Number(pool?.cl_waiting ?? 0) === 0) return;
    if (Date.now() > deadline) {
      throw new RehearsalError(`PgBouncer kept ${idle} of the ${count} server connections its clients need idle for ${SERVER_STEP_TIMEOUT_MS / 1000} s, `
        + `so the rehearsal cannot start. From its output:\n${serverOutput(dir, 'pgbouncer')}`);
    }
    await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
  }
}
