import * as fs from 'fs';
import * as path from 'path';
import { RehearsalPlan } from '../../budget';
import { RehearsalError } from './errors';
import { Keeper } from './keeper';
import { startPgBouncer } from './pgbouncer';
import { exitDescription, serverOutput, waitForSession } from './server-output';
import { ProxyStandIn, reachablePrograms, Servers, serviceUser } from './servers';
import { AcceptWindow, LISTEN_BACKLOG, Session, Target } from './wire';

/** Role of the rehearsal's clients: not a superuser, so the reserved superuser slots stay out of reach, as on RDS. */
export const CLIENT_ROLE = 'app';
/** The superuser that prepares the database, and PgBouncer's admin. */
export const ADMIN_ROLE = 'rehearsal_admin';
/**
 * Role the proxy's connections log in to PostgreSQL as: the clients themselves with the connection-limit stand-in,
 * PgBouncer's server connections with PgBouncer. Its CONNECTION LIMIT is the proxy's ceiling.
 */
export const PROXY_CLIENT_ROLE = 'app_via_proxy';
/** The database alias the PgBouncer stand-in serves. */
export const PROXY_DATABASE = 'app';
/**
 * Descriptors a process of the rehearsal needs besides its connections: Node has 20 open when it starts
 * (ls /proc/self/fd), PgBouncer its listener, log and console sessions; a hundred leaves room for both.
 */
const SPARE_FILE_DESCRIPTORS = 100;
/** Shared memory of the local PostgreSQL: kept small, since a rehearsal holds connections, not data. */
const SHARED_BUFFERS = '32MB';
/**
 * PostgreSQL sessions of the rehearsal itself, held from start to end: one superuser session that prepares and
 * inspects the database. max_connections is raised by as many, so the budget's clients see exactly its slots.
 */
const OWN_DATABASE_SESSIONS = 1;
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

/** A local PostgreSQL, and the proxy's ceiling in front of it, shaped like a budget's capacity. */
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
export function checkOpenFileLimit(plan: RehearsalPlan, limit: number | undefined, proxy: ProxyStandIn | undefined): void {
  const clients = plan.clients.reduce((n, c) => n + c.connections, 0);
  const demand = proxyDemand(plan);
  const needed = (proxy === 'pgbouncer' ? Math.max(clients, demand.clients + demand.servers) : clients) + SPARE_FILE_DESCRIPTORS;
  if (limit !== undefined && needed > limit) {
    throw new RehearsalError(`the plan opens ${clients} connections, which needs ${needed} open files in this process${proxy === 'pgbouncer' ? ' or in PgBouncer' : ''}, `
      + `but a process here may open ${limit} (ulimit -n). Raise the limit (ulimit -n ${needed}) or rehearse a smaller budget.`);
  }
}

/**
 * Starts the stand-in: PostgreSQL with the budget's max_connections and reserved superuser slots, and (with a
 * proxy) the proxy's ceiling in front of it: PgBouncer in session pooling (startPgBouncer), or a role whose
 * CONNECTION LIMIT is the ceiling, for the proxy's clients. Every server listens only on the run's private sockets
 * (runSockets).
 */
export async function startStandIn(plan: RehearsalPlan, waitSeconds: number, keeper: Keeper, servers: Servers): Promise<StandIn> {
  const dir = keeper.dir;
  const sockets = runSockets(dir);
  checkSocketPaths(sockets);
  const sessions: Session[] = [];
  const close = () => sessions.forEach((session) => session.close());
  try {
    const user = serviceUser();
    if (user) fs.chownSync(dir, user.uid, user.gid);
    const programs = reachablePrograms(servers.postgres, user, dir);
    const data = path.join(dir, 'data');
    const initdb = keeper.start('initdb', programs.initdb, [
      // Trust on the private socket only; were PostgreSQL ever to listen on TCP, it would let no one in there.
      '-D', data, '-U', ADMIN_ROLE, '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--no-sync',
    ], user);
    const created = await initdb.exited;
    if (created.code !== 0) {
      throw new RehearsalError(`initdb ${exitDescription(created)} while creating the rehearsal's database, so there is nothing to rehearse against. `
        + `From its output:\n${serverOutput(dir, 'initdb')}`);
    }
    const maxConnections = plan.maxConnections + OWN_DATABASE_SESSIONS;
    const postgres = keeper.start('postgres', programs.postgres, [
      '-D', data, '-p', String(DATABASE_PORT),
      '-c', 'listen_addresses=', '-c', `unix_socket_directories=${dir}`, '-c', `unix_socket_permissions=${SOCKET_MODE}`,
      '-c', `max_connections=${maxConnections}`,
      '-c', `superuser_reserved_connections=${plan.superuserReservedConnections}`,
      '-c', 'fsync=off', '-c', `shared_buffers=${SHARED_BUFFERS}`, '-c', 'max_wal_senders=0', '-c', 'wal_level=minimal',
      // Dynamic shared memory as files in the data directory, removed with it, not in /dev/shm, where a killed server leaves them.
      '-c', 'dynamic_shared_memory_type=mmap',
    ], user);
    const admin = await waitForSession({ socket: sockets.database, user: ADMIN_ROLE, database: 'postgres' }, postgres, 'postgres', dir);
    sessions.push(admin);
    await admin.query(`CREATE ROLE ${CLIENT_ROLE} LOGIN`);
    const direct: Target = { socket: sockets.database, user: CLIENT_ROLE, database: 'postgres' };
    const window = new AcceptWindow(Math.min(LISTEN_BACKLOG, POSTGRES_BACKLOG_PER_CONNECTION * maxConnections));
    const ceiling = plan.proxyServerConnections;
    if (ceiling === undefined || !servers.proxy) {
      return { target: () => direct, window, close };
    }
    if (!Number.isInteger(ceiling) || ceiling < 0) {
      // PostgreSQL reads a CONNECTION LIMIT of -1 as no limit at all.
      throw new RehearsalError(`the plan gives the proxy a ceiling of ${ceiling} server connections; a rehearsal needs a whole number of 0 or more.`);
    }
    // The proxy's connections log in to PostgreSQL as a role of their own, whose CONNECTION LIMIT is the ceiling: PostgreSQL
    // counts a role's sessions as each logs in and refuses the one past the limit ("too many connections for role"). Behind
    // PgBouncer the limit holds too, whatever PgBouncer's own settings do at 0 (its max_db_connections = 0 means no limit).
    await admin.query(`CREATE ROLE ${PROXY_CLIENT_ROLE} LOGIN CONNECTION LIMIT ${ceiling}`);
    if (servers.proxy.kind === 'connection-limit') {
      const proxy: Target = { socket: sockets.database, user: PROXY_CLIENT_ROLE, database: 'postgres' };
      return { target: (route) => (route === 'proxy' ? proxy : direct), window, close };
    }
    const demand = proxyDemand(plan);
    const pgbouncer = await startPgBouncer({
      program: servers.proxy.pgbouncer, dir, user, port: PROXY_PORT, databasePort: DATABASE_PORT, socketMode: SOCKET_MODE,
      clientRole: CLIENT_ROLE, serverRole: PROXY_CLIENT_ROLE, adminRole: ADMIN_ROLE, database: PROXY_DATABASE, ceiling, ...demand, waitSeconds,
    }, keeper, window);
    sessions.push(pgbouncer.console);
    return { target: (route) => (route === 'proxy' ? pgbouncer.target : direct), window, close };
  } catch (e) {
    close();
    throw e;
  }
}
