import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A rehearsal's run directory holds everything a run leaves on the machine: PostgreSQL's data directory, the
 * servers' sockets, PgBouncer's configuration, the servers' logs, and a pid file for each process the run
 * started. Its name carries the pid of the CLI that owns it, so a run whose owner is dead can be found and
 * undone: its servers stopped, PostgreSQL's shared memory segment removed and the directory deleted.
 */

/** How every run directory's name starts, in the temporary directory; the owner's pid and a random suffix follow. */
export const RUN_DIRECTORY_PREFIX = 'connection-budget-rehearsal-';

/**
 * How long a local server gets for one step (to start, to open the next server connection, to answer, to stop)
 * before the rehearsal gives up on it: pg_ctl's default wait, https://www.postgresql.org/docs/15/app-pg-ctl.html (-t).
 * A deadline on a stuck server, never a verdict: the budget's outcome never depends on it.
 */
export const SERVER_STEP_TIMEOUT_MS = 60_000;

/**
 * The servers of a run, and how each is asked to stop: PostgreSQL with a fast shutdown (SIGINT: it ends its
 * sessions, then removes its shared memory and postmaster.pid), PgBouncer with an immediate shutdown (SIGTERM),
 * initdb with SIGTERM, on which it removes what it wrote.
 * https://www.postgresql.org/docs/15/server-shutdown.html, https://www.pgbouncer.org/usage.html#signals
 */
const STOP_SIGNALS = { initdb: 'SIGTERM', postgres: 'SIGINT', pgbouncer: 'SIGTERM' } as const;
/** A server process of a run: what the keeper starts. */
export type ServerProcess = keyof typeof STOP_SIGNALS;
/** A process of a run with a pid file in its directory: the servers, and the keeper that started them. */
export type RunProcess = ServerProcess | 'keeper';

/** How often a stopping process is looked at. */
const STOP_POLL_MS = 50;
/** postmaster.pid's 7th line holds the key and id of PostgreSQL's System V shared memory segment (miscadmin.h, LOCK_FILE_LINE_SHMEM_KEY). */
const POSTMASTER_PID_SHMEM_LINE = 7;

/**
 * A new run directory owned by this process, mode 0700 (mkdtemp's): the servers' sockets in it let in whoever
 * reaches them, as any role, so no one but its owner (the servers' user, once the stand-in hands it over) and
 * root may enter.
 */
export function createRunDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${RUN_DIRECTORY_PREFIX}${process.pid}-`));
}

/** The pid of the CLI that owns a run directory, from its name; undefined for any other name. */
export function runOwner(dir: string): number | undefined {
  const owner = new RegExp(`^${RUN_DIRECTORY_PREFIX}(\\d+)-[^-]+$`).exec(path.basename(dir));
  return owner ? Number(owner[1]) : undefined;
}

export function writePid(dir: string, name: RunProcess, pid: number): void {
  fs.writeFileSync(path.join(dir, `${name}.pid`), `${pid}\n`);
}

/**
 * The pid a run recorded for `name`; undefined until it has (a file still being written holds no pid yet), and once
 * the run is gone (another process undoing it may remove the directory at any moment).
 */
export function readPid(dir: string, name: RunProcess): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, `${name}.pid`), 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
  return /^[1-9]\d*$/.test(text) ? Number(text) : undefined;
}

/** Whether `pid` is a process that has not exited: one that has, but was not yet reaped by its parent (a zombie), has. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, as another user's process.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (!fs.existsSync('/proc/self/stat')) return true;
  const state = procFile(pid, 'stat');
  // The state follows the command name, which is in parentheses and may contain anything.
  return state !== undefined && !['Z', 'X'].includes(state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3));
}

/** A file of /proc/<pid>, or undefined once the process is gone (reading it races with the process exiting). */
function procFile(pid: number, name: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
}

/**
 * Whether `pid` is a process of the run in `dir`: running, and (where /proc tells) started with the directory
 * on its command line, so a pid reused by another process is never signalled.
 */
function runsIn(pid: number, dir: string): boolean {
  if (!isRunning(pid)) return false;
  return !fs.existsSync('/proc/self/cmdline') || (procFile(pid, 'cmdline') ?? '').includes(dir);
}

/**
 * Stops every process of the run in `dir` and removes the directory: each process gets its stop signal and
 * `stopTimeoutMs` to exit; one that has not is killed with its process group (PostgreSQL's backends are in its
 * group) and PostgreSQL's shared memory segment, which a killed PostgreSQL leaves, is removed. Safe to call on
 * a run already stopped, and by several processes at once.
 */
export async function teardownRun(dir: string, stopTimeoutMs = SERVER_STEP_TIMEOUT_MS): Promise<void> {
  const running = (Object.keys(STOP_SIGNALS) as ServerProcess[]).flatMap((name) => {
    const pid = readPid(dir, name);
    return pid !== undefined && runsIn(pid, dir) ? [{ name, pid }] : [];
  });
  running.forEach(({ name, pid }) => signal(pid, STOP_SIGNALS[name]));
  await Promise.all(running.map(({ pid }) => stopped(pid, dir, stopTimeoutMs)));
  // Each was started in its own process group, so the group's id is its pid.
  const stuck = running.filter(({ pid }) => runsIn(pid, dir));
  stuck.forEach(({ pid }) => signal(-pid, 'SIGKILL'));
  await Promise.all(stuck.map(({ pid }) => stopped(pid, dir, stopTimeoutMs)));
  removeSharedMemory(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Undoes the runs whose owner and keeper are both dead (the keeper undoes its own run when its owner dies): what
 * is left when both were killed. Only directories this user may remove: its own, or any when run as root.
 */
export async function reapDeadRuns(): Promise<void> {
  const uid = process.getuid?.();
  const dead = fs.readdirSync(os.tmpdir()).map((name) => path.join(os.tmpdir(), name)).filter((dir) => {
    const owner = runOwner(dir);
    if (owner === undefined || isRunning(owner)) return false;
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (!stat?.isDirectory() || (uid !== 0 && stat.uid !== uid)) return false;
    const keeper = readPid(dir, 'keeper');
    return keeper === undefined || !runsIn(keeper, dir);
  });
  await Promise.all(dead.map((dir) => teardownRun(dir)));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (e) {
    // It exited since it was looked at.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Waits until `pid` is no longer a process of the run (a pid reused by another process, which can happen soon, is not). */
async function stopped(pid: number, dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (runsIn(pid, dir) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  }
}

/**
 * Removes PostgreSQL's System V shared memory segment if it is still there: a PostgreSQL that stopped removed it
 * together with postmaster.pid; one that was killed left both, and postmaster.pid names the segment. Two processes
 * may undo the same dead run at once (two rehearsals starting, each reaping dead runs): a segment the other removed
 * between the look and ipcrm is gone, as wanted.
 */
function removeSharedMemory(dir: string): void {
  let pidFile: string;
  try {
    pidFile = fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const [key, id] = (pidFile.split('\n')[POSTMASTER_PID_SHMEM_LINE - 1] ?? '').trim().split(/\s+/);
  const present = () => id !== undefined && sharedMemorySegments().some((s) => s.key === key && s.id === id);
  if (!present()) return;
  try {
    execFileSync('ipcrm', ['-m', id], { stdio: 'pipe' });
  } catch (e) {
    if (present()) throw e;
  }
}

/** A System V shared memory segment, as /proc/sysvipc/shm lists it (key and id in decimal). */
export interface SharedMemorySegment {
  readonly key: string;
  readonly id: string;
  /** How many processes have it attached. */
  readonly attached: number;
  /** Its owner. */
  readonly uid: number;
}

/** The System V shared memory segments of this machine; none where /proc/sysvipc does not list them (not Linux). */
export function sharedMemorySegments(): SharedMemorySegment[] {
  const table = '/proc/sysvipc/shm';
  if (!fs.existsSync(table)) return [];
  return fs.readFileSync(table, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [key, id, , , , , attached, uid] = line.trim().split(/\s+/);
    return { key, id, attached: Number(attached), uid: Number(uid) };
  });
}
