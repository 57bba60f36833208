import { execFileSync } from 'child_process';
import { setMaxListeners } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { RehearsalPlan } from '../../budget';
import { RehearsalError } from './errors';
import { Keeper, KeptProcess, ProcessExit, ServiceUser } from './keeper';
import { SERVER_STEP_TIMEOUT_MS } from './run-directory';
import { AcceptWindow, connectAndQuery, openSession, Session, Target } from './wire';

/** The tools a rehearsal needs are not installed; the message says how to install them. Exit code 2. */
export class MissingToolError extends RehearsalError {}

/** Role of the rehearsal's clients: not a superuser, so the reserved superuser slots stay out of reach, as on RDS. */
export const CLIENT_ROLE = 'app';
/** The superuser that prepares the database, and PgBouncer's admin. */
export const ADMIN_ROLE = 'rehearsal_admin';
/** The database alias the proxy stand-in serves. */
export const PROXY_DATABASE = 'app';
/** How often a starting server is probed. */
const STARTUP_POLL_MS = 200;
/** PgBouncer client slots beyond the plan's connections: its admin sessions and a margin, so its own client limit never decides a rehearsal. */
const SPARE_CLIENT_SLOTS = 100;
/**
 * Descriptors a process of the rehearsal needs besides its connections: Node has 20 open when it starts
 * (ls /proc/self/fd), PgBouncer its listener, log and console sessions; a hundred leaves room for both.
 */
const SPARE_FILE_DESCRIPTORS = 100;
/** How much of a server's output an error quotes: enough for PostgreSQL's FATAL line and its DETAIL and HINT. */
const LOG_TAIL_LINES = 10;
/** Log lines of PostgreSQL and PgBouncer that report a problem, by their severity (the rest are LOG lines). */
const SEVERE_LOG_LINE = /\b(WARNING|ERROR|FATAL|PANIC|DETAIL|HINT):/;
/** Shared memory of the local PostgreSQL: kept small, since a rehearsal holds connections, not data. */
const SHARED_BUFFERS = '32MB';
/**
 * PostgreSQL sessions of the rehearsal itself, held from start to end: one superuser session that prepares and
 * inspects the database. max_connections is raised by as many, so the budget's clients see exactly its slots.
 */
const OWN_DATABASE_SESSIONS = 1;
/**
 * Accept-queue length of PgBouncer's listener, and the most connections a rehearsal leaves unanswered at once:
 * PgBouncer's default listen_backlog, and Linux's SOMAXCONN before 5.4 (https://www.pgbouncer.org/config.html#listen_backlog).
 */
const LISTEN_BACKLOG = 128;
/**
 * PostgreSQL's accept queue is twice max_connections: src/backend/libpq/pqcomm.c (StreamServerPort),
 * `maxconn = MaxConnections * 2`.
 */
const POSTGRES_BACKLOG_PER_CONNECTION = 2;
/**
 * The servers' ports, their defaults. Neither listens on TCP: a port only names the server's Unix socket,
 * `.s.PGSQL.<port>`, and each run has a directory of its own, so the same numbers never collide.
 */
const DATABASE_PORT = 5432;
const PROXY_PORT = 6432;
/**
 * The longest path a Unix socket may have: sun_path holds 108 bytes on Linux, its terminating NUL included
 * (unix(7)). PostgreSQL refuses a longer one, and PgBouncer would listen on the path cut short.
 */
const MAX_SOCKET_PATH_BYTES = 107;
/** Only the servers' user may connect to a socket, should the directory around it ever let others in. */
const SOCKET_MODE = '0600';

/** A local PostgreSQL, and PgBouncer in front of it, shaped like a budget's capacity. */
export interface StandIn {
  /** Where a client of `route` connects, as the rehearsal's ordinary role. */
  readonly target: (route: 'proxy' | 'direct') => Target;
  /** Admission of the clients' connections, so no server's accept queue overflows. */
  readonly window: AcceptWindow;
  /** Closes the stand-in's own sessions; the servers stop with the run's keeper. */
  readonly close: () => void;
}

/** Where the servers of the run in a directory listen: the socket files of PostgreSQL and of PgBouncer. */
export interface RunSockets {
  readonly database: string;
  readonly proxy: string;
}

/**
 * The servers let in whoever connects, as any role (their superuser included), without a password. So they
 * listen on no TCP address, only on Unix sockets in the run directory, which is mode 0700 and belongs to the
 * user the servers run as: no local user but that one and root can reach them.
 */
export function runSockets(dir: string): RunSockets {
  return { database: path.join(dir, `.s.PGSQL.${DATABASE_PORT}`), proxy: path.join(dir, `.s.PGSQL.${PROXY_PORT}`) };
}

/** Fails, before any server starts, when a socket of the run would have a longer path than a Unix socket may. */
function checkSocketPaths(sockets: RunSockets): void {
  for (const socket of [sockets.database, sockets.proxy]) {
    const bytes = Buffer.byteLength(socket);
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new RehearsalError(`the rehearsal's servers listen on Unix sockets in its run directory, but the path '${socket}' has ${bytes} bytes, `
        + `more than a Unix socket's path may have (${MAX_SOCKET_PATH_BYTES}). Point TMPDIR at a shorter directory (TMPDIR=/tmp).`);
    }
  }
}

/** The server programs a rehearsal runs. */
export interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly pgbouncer: string;
}

/** Where Debian's postgresql packages put the server binaries: /usr/lib/postgresql/<version>/bin, newest first. */
function debianServerDirectories(): string[] {
  return fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
}

/** The plan's clients through the proxy stand-in, and the server connections it opens for them before they start. */
function proxyDemand(plan: RehearsalPlan): { readonly clients: number; readonly servers: number } {
  const clients = plan.clients.filter((c) => c.route === 'proxy').reduce((n, c) => n + c.connections, 0);
  return { clients, servers: plan.proxyServerConnections === undefined ? 0 : Math.min(plan.proxyServerConnections, clients) };
}

/** The limit on open files of this process, which the servers it starts inherit; undefined where /proc does not tell. */
export function openFileLimit(): number | undefined {
  if (!fs.existsSync('/proc/self/limits')) return undefined;
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
}

/**
 * Fails when this process (which holds every client's connection) or PgBouncer (its clients' and its server
 * connections) would run out of file descriptors: a connection refused for that would be the machine's verdict,
 * not the budget's.
 */
export function checkOpenFileLimit(plan: RehearsalPlan, limit: number | undefined): void {
  const clients = plan.clients.reduce((n, c) => n + c.connections, 0);
  const proxy = proxyDemand(plan);
  const needed = Math.max(clients, proxy.clients + proxy.servers) + SPARE_FILE_DESCRIPTORS;
  if (limit !== undefined && needed > limit) {
    throw new RehearsalError(`the plan opens ${clients} connections, which needs ${needed} open files in this process or in PgBouncer, `
      + `but a process here may open ${limit} (ulimit -n). Raise the limit (ulimit -n ${needed}) or rehearse a smaller budget.`);
  }
}

/** initdb and postgres, and pgbouncer, from `directories` (by default PATH, Debian's server directories and /usr/sbin). */
export function findBinaries(needProxy: boolean, directories?: readonly string[]): Binaries {
  const search = directories ?? [...(process.env.PATH ?? '').split(path.delimiter), ...debianServerDirectories(), '/usr/sbin'];
  const find = (name: string) => search.map((dir) => path.join(dir, name)).find((file) => fs.existsSync(file));
  const initdb = find('initdb');
  const postgres = find('postgres');
  const pgbouncer = find('pgbouncer');
  const missing = [!initdb || !postgres ? 'the PostgreSQL server (initdb, postgres)' : undefined, needProxy && !pgbouncer ? 'PgBouncer' : undefined].filter(Boolean);
  if (missing.length > 0) {
    throw new MissingToolError(`a rehearsal needs ${missing.join(' and ')}, which are not installed. `
      + 'On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root).');
  }
  return { initdb: initdb!, postgres: postgres!, pgbouncer: pgbouncer ?? '' };
}

/**
 * Starts the stand-in: PostgreSQL with the budget's max_connections and reserved superuser slots, and (with a
 * proxy) PgBouncer in session pooling, so each client holds its own server connection: the pinned worst case
 * of RDS Proxy. Its database-side limit is the proxy's, and a client waits for a server connection at most
 * `waitSeconds`, like the proxy's borrow timeout. Both listen only on the run's private sockets (runSockets).
 *
 * PgBouncer opens server connections one at a time (objects.c, launch_new_connection: "Allow only a single
 * connection attempt at a time"), so on a busy machine a burst of clients would wait for PostgreSQL to start
 * backends, not for the budget. The stand-in therefore opens every server connection the clients can use before
 * it returns, and only then arms the wait: a client then waits only when the proxy's ceiling is taken.
 */
export async function startStandIn(plan: RehearsalPlan, waitSeconds: number, keeper: Keeper, binaries: Binaries): Promise<StandIn> {
  const dir = keeper.dir;
  const sockets = runSockets(dir);
  checkSocketPaths(sockets);
  const sessions: Session[] = [];
  const close = () => sessions.forEach((session) => session.close());
  try {
    // PostgreSQL and PgBouncer refuse to run as root; a root caller runs them as the postgres user.
    const user = process.getuid?.() === 0 ? serviceUser() : undefined;
    if (user) fs.chownSync(dir, user.uid, user.gid);
    const data = path.join(dir, 'data');
    const initdb = keeper.start('initdb', binaries.initdb, [
      // Trust on the private socket only; were PostgreSQL ever to listen on TCP, it would let no one in there.
      '-D', data, '-U', ADMIN_ROLE, '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--no-sync',
    ], user);
    const created = await initdb.exited;
    if (created.code !== 0) {
      throw new RehearsalError(`initdb ${exitDescription(created)} while creating the rehearsal's database, so there is nothing to rehearse against. `
        + `From its output:\n${indent(lastLines(readLog(dir, 'initdb')))}`);
    }
    const maxConnections = plan.maxConnections + OWN_DATABASE_SESSIONS;
    const postgres = keeper.start('postgres', binaries.postgres, [
      '-D', data, '-p', String(DATABASE_PORT),
      '-c', 'listen_addresses=', '-c', `unix_socket_directories=${dir}`, '-c', `unix_socket_permissions=${SOCKET_MODE}`,
      '-c', `max_connections=${maxConnections}`,
      '-c', `superuser_reserved_connections=${plan.superuserReservedConnections}`,
      '-c', 'fsync=off', '-c', `shared_buffers=${SHARED_BUFFERS}`, '-c', 'max_wal_senders=0', '-c', 'wal_level=minimal',
      // Dynamic shared memory as files in the data directory, removed with it, not in /dev/shm, where a killed server leaves them.
      '-c', 'dynamic_shared_memory_type=mmap',
    ], user);
    const admin = await waitForSession({ socket: sockets.database, user: ADMIN_ROLE, database: 'postgres' }, postgres, 'PostgreSQL', dir);
    sessions.push(admin);
    await admin.query(`CREATE ROLE ${CLIENT_ROLE} LOGIN`);
    const direct: Target = { socket: sockets.database, user: CLIENT_ROLE, database: 'postgres' };
    const window = new AcceptWindow(Math.min(LISTEN_BACKLOG, POSTGRES_BACKLOG_PER_CONNECTION * maxConnections));
    if (plan.proxyServerConnections === undefined) {
      return { target: () => direct, window, close };
    }

    const demand = proxyDemand(plan);
    const ini = path.join(dir, 'pgbouncer.ini');
    fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${CLIENT_ROLE}" ""\n"${ADMIN_ROLE}" ""\n`);
    fs.writeFileSync(ini, [
      '[databases]',
      `${PROXY_DATABASE} = host=${dir} port=${DATABASE_PORT} dbname=postgres user=${CLIENT_ROLE}`,
      '[pgbouncer]',
      'listen_addr =',
      `listen_port = ${PROXY_PORT}`,
      `listen_backlog = ${LISTEN_BACKLOG}`,
      `unix_socket_dir = ${dir}`,
      `unix_socket_mode = ${SOCKET_MODE}`,
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `admin_users = ${ADMIN_ROLE}`,
      'pool_mode = session',
      `max_client_conn = ${demand.clients + SPARE_CLIENT_SLOTS}`,
      `default_pool_size = ${plan.proxyServerConnections}`,
      `max_db_connections = ${plan.proxyServerConnections}`,
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
    if (user) {
      for (const file of ['pgbouncer.ini', 'userlist.txt']) fs.chownSync(path.join(dir, file), user.uid, user.gid);
    }
    const pgbouncer = keeper.start('pgbouncer', binaries.pgbouncer, [ini], user);
    const adminConsole = await waitForSession({ socket: sockets.proxy, user: ADMIN_ROLE, database: 'pgbouncer' }, pgbouncer, 'PgBouncer', dir);
    sessions.push(adminConsole);
    const proxy: Target = { socket: sockets.proxy, user: CLIENT_ROLE, database: PROXY_DATABASE };
    await openServerConnections(proxy, adminConsole, demand.servers, window, dir);
    await adminConsole.query(`SET query_wait_timeout = ${waitSeconds}`);
    return { target: (route) => (route === 'proxy' ? proxy : direct), window, close };
  } catch (e) {
    close();
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
      + `so the rehearsal cannot start. From its output:\n${indent(lastLines(readLog(dir, 'pgbouncer')))}`);
  }
  const deadline = Date.now() + SERVER_STEP_TIMEOUT_MS;
  for (;;) {
    // The pool appears with its first client; without clients there is none.
    const pool = (await adminConsole.query('SHOW POOLS')).find((row) => row.database === proxy.database);
    const idle = Number(pool?.sv_idle ?? 0);
    if (idle === count && Number(pool?.cl_active ?? 0) === 0 && Number(pool?.cl_waiting ?? 0) === 0) return;
    if (Date.now() > deadline) {
      throw new RehearsalError(`PgBouncer kept ${idle} of the ${count} server connections its clients need idle for ${SERVER_STEP_TIMEOUT_MS / 1000} s, `
        + `so the rehearsal cannot start. From its output:\n${indent(lastLines(readLog(dir, 'pgbouncer')))}`);
    }
    await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
  }
}

function serviceUser(): ServiceUser {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new MissingToolError('running as root, a rehearsal starts PostgreSQL as the postgres user, which does not exist. '
      + 'Install the postgresql package (it creates the user) or run as another user.');
  }
}

/** Opens a session on a starting server as soon as it accepts one; fails with the server's output when it exits or never accepts. */
async function waitForSession(target: Target, server: KeptProcess, what: 'PostgreSQL' | 'PgBouncer', dir: string): Promise<Session> {
  const log = what === 'PostgreSQL' ? 'postgres' : 'pgbouncer';
  const deadline = Date.now() + SERVER_STEP_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const exit = server.exit();
    if (exit) {
      throw new RehearsalError(`${what} ${exitDescription(exit)} while starting, so there is nothing to rehearse against. `
        + `From its output:\n${indent(lastLines(readLog(dir, log)))}`);
    }
    try {
      return await openSession(target, SERVER_STEP_TIMEOUT_MS);
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
  }
  throw new RehearsalError(`${what} did not accept connections within ${SERVER_STEP_TIMEOUT_MS / 1000} s (the last attempt: ${last}), `
    + `so there is nothing to rehearse against. From its output:\n${indent(lastLines(readLog(dir, log)))}`);
}

/** What a process of the run wrote: the keeper appends its output to `<dir>/<name>.log`. */
function readLog(dir: string, name: 'initdb' | 'postgres' | 'pgbouncer'): string {
  const file = path.join(dir, `${name}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** The last lines of a server's output that say what went wrong: its warnings and errors if it logged any, else its last lines. */
function lastLines(output: string): string[] {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const severe = lines.filter((line) => SEVERE_LOG_LINE.test(line));
  const chosen = severe.length > 0 ? severe : lines;
  return chosen.length > 0 ? chosen.slice(-LOG_TAIL_LINES) : ['(no output)'];
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}`).join('\n');
}

function exitDescription(exit: ProcessExit): string {
  if (exit.code !== null) return `exited with code ${exit.code}`;
  return exit.signal !== null ? `was stopped by ${exit.signal}` : `could not be started (${exit.error})`;
}
