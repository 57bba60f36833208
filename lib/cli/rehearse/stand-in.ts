import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { RehearsalPlan } from '../../budget';
import { connectAndQuery } from './wire';

/** The tools a rehearsal needs are not installed; the message says how to install them. Exit code 2. */
export class MissingToolError extends Error {}

/** Role of the rehearsal's clients: not a superuser, so the reserved superuser slots stay out of reach, as on RDS. */
export const CLIENT_ROLE = 'app';
/** The superuser that prepares the database. */
const ADMIN_ROLE = 'rehearsal_admin';
/** The database alias the proxy stand-in serves. */
export const PROXY_DATABASE = 'app';
/** How long the local servers get to accept connections after starting. */
const STARTUP_TIMEOUT_MS = 30_000;
/** How often a starting server is probed. */
const STARTUP_POLL_MS = 200;
/** PgBouncer client slots beyond the plan's connections: the readiness probe and a margin, so its own client limit never decides a rehearsal. */
const SPARE_CLIENT_SLOTS = 100;
/** Shared memory of the local PostgreSQL: kept small, since a rehearsal holds connections, not data. */
const SHARED_BUFFERS = '32MB';

/** A local PostgreSQL, and PgBouncer in front of it, shaped like a budget's capacity. */
export interface StandIn {
  readonly databasePort: number;
  /** Undefined when the budget has no proxy. */
  readonly proxyPort?: number;
  /** Stops both servers and removes the data directory; safe to call twice. */
  readonly stop: () => void;
}

interface Binaries {
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
 * Starts the stand-in: PostgreSQL with the budget's max_connections and reserved superuser slots, listening
 * on loopback only, and (with a proxy) PgBouncer in session pooling, so each client holds its own server
 * connection: the pinned worst case of RDS Proxy. Its database-side limit is the proxy's, and a client
 * waits for a server connection at most `waitSeconds`, like the proxy's borrow timeout.
 */
export async function startStandIn(plan: RehearsalPlan, waitSeconds: number): Promise<StandIn> {
  const binaries = findBinaries(plan.proxyServerConnections !== undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-budget-rehearsal-'));
  const processes: ChildProcess[] = [];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const child of processes) {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // PostgreSQL and PgBouncer refuse to run as root; a root caller runs them as the postgres user.
    const user = process.getuid?.() === 0 ? serviceUser() : undefined;
    if (user) fs.chownSync(dir, user.uid, user.gid);
    const data = path.join(dir, 'data');
    execFileSync(binaries.initdb, ['-D', data, '-U', ADMIN_ROLE, '--auth=trust', '-E', 'UTF8', '--no-sync'], { stdio: 'pipe', ...user });
    const databasePort = await freePort();
    const postgres = spawn(binaries.postgres, [
      '-D', data, '-p', String(databasePort),
      '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
      '-c', `max_connections=${plan.maxConnections}`,
      '-c', `superuser_reserved_connections=${plan.superuserReservedConnections}`,
      '-c', 'fsync=off', '-c', `shared_buffers=${SHARED_BUFFERS}`, '-c', 'max_wal_senders=0', '-c', 'wal_level=minimal',
    ], { stdio: 'ignore', ...user });
    processes.push(postgres);
    await waitUntilReady(databasePort, ADMIN_ROLE, 'postgres', postgres, 'PostgreSQL');
    await run(databasePort, `CREATE ROLE ${CLIENT_ROLE} LOGIN`);

    let proxyPort: number | undefined;
    if (plan.proxyServerConnections !== undefined) {
      proxyPort = await freePort();
      const clients = plan.clients.reduce((n, c) => n + c.connections, 0);
      const ini = path.join(dir, 'pgbouncer.ini');
      fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${CLIENT_ROLE}" ""\n`);
      fs.writeFileSync(ini, [
        '[databases]',
        `${PROXY_DATABASE} = host=127.0.0.1 port=${databasePort} dbname=postgres user=${CLIENT_ROLE}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${proxyPort}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${path.join(dir, 'userlist.txt')}`,
        'pool_mode = session',
        `max_client_conn = ${clients + SPARE_CLIENT_SLOTS}`,
        `default_pool_size = ${plan.proxyServerConnections}`,
        `max_db_connections = ${plan.proxyServerConnections}`,
        'reserve_pool_size = 0',
        `query_wait_timeout = ${waitSeconds}`,
        'ignore_startup_parameters = application_name',
        `logfile = ${path.join(dir, 'pgbouncer.log')}`,
        '',
      ].join('\n'));
      if (user) {
        for (const file of ['pgbouncer.ini', 'userlist.txt']) fs.chownSync(path.join(dir, file), user.uid, user.gid);
      }
      const pgbouncer = spawn(binaries.pgbouncer, [ini], { stdio: 'ignore', ...user });
      processes.push(pgbouncer);
      await waitUntilReady(proxyPort, CLIENT_ROLE, PROXY_DATABASE, pgbouncer, 'PgBouncer');
    }
    return { databasePort, proxyPort, stop };
  } catch (e) {
    stop();
    throw e;
  }
}

function serviceUser(): { uid: number; gid: number } {
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(port: number, user: string, database: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    }
    const attempt = await connectAndQuery(port, user, database, 'SELECT 1', 1000);
    if (attempt.ok) {
      attempt.release();
      return;
    }
    await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
  }
  throw new Error(`${what} did not accept connections within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

async function run(port: number, statement: string): Promise<void> {
  const attempt = await connectAndQuery(port, ADMIN_ROLE, 'postgres', statement, 10_000);
  if (!attempt.ok) throw new Error(`preparing the rehearsal database failed: ${attempt.message}`);
  attempt.release();
}
