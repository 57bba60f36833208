import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPid, RUN_DIRECTORY_PREFIX, RunProcess, sharedMemorySegments, teardownRun } from '../../lib/cli/rehearse/run-directory';
import { serviceUser } from '../../lib/cli/rehearse/servers';
import { ADMIN_ROLE, runSockets } from '../../lib/cli/rehearse/stand-in';
import { openSession } from '../../lib/cli/rehearse/wire';
import { synthSample } from '../cli/apps';
import { runAsync } from '../cli/fixtures';
import { BIN, ensureCompiled } from '../helpers/compiled-cli';
import { PGBOUNCER, REHEARSAL_TIMEOUT_MS } from '../helpers/servers';

// Nothing outlives a rehearsal, however it ends: the compiled CLI, real PostgreSQL and PgBouncer, real signals. A rehearsal
// stays in progress while clients wait for PgBouncer; without PgBouncer (refusals, no wait) the tests that need one are skipped.
// Every wait below is on a condition with a generous deadline; none is a verdict by itself.

/** How long a condition may take to come true: far beyond what any step takes on a busy machine. */
const DEADLINE_MS = 120_000;
/** How often a condition is looked at. */
const POLL_MS = 50;

// Real apps with max_connections 200 and the proxy at 50 %: ceiling floor(200 × 50 %) − 5 = 95. Web/Api 5 tasks × 200 % ×
// pool 10 = 100 and Jobs/Worker 4 × (5 + 2) = 28: 128 clients, 33 wait, for 300 s.
const waiting = synthSample({ maxConnections: 200, apiMaxTasks: 5, allowErrors: true });
const WAITING_CLIENTS = 33;
// Web/Api 2 tasks × pool 10 = 20 and the Worker's 28: 48 of 95, a rehearsal that opens everything and ends.
const fitting = synthSample({ maxConnections: 200, apiMaxTasks: 1 });

beforeAll(() => ensureCompiled());
afterAll(() => [waiting, fitting].forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${DEADLINE_MS / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The compiled CLI, as a user starts it; its output is collected. */
function startCli(args: string[]): { child: ChildProcess; exit: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn('node', [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  child.stdout!.resume();
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exit };
}

/** The run directory a process owns, once it has made one. */
function runDirectoryOf(owner: number): Promise<string> {
  return until(`a run directory of ${owner}`, () => fs.readdirSync(os.tmpdir())
    .filter((name) => name.startsWith(`${RUN_DIRECTORY_PREFIX}${owner}-`)).map((name) => path.join(os.tmpdir(), name))[0]);
}

/** A process as /proc/<pid>/stat tells it apart from a later one with the same pid: its pid and start time. */
interface Process {
  readonly pid: number;
  readonly started: string;
}

/** The run's processes (its keeper, servers and their children), and PostgreSQL's shared memory segment once it has one. */
interface Run {
  readonly dir: string;
  readonly processes: Process[];
  readonly segment?: { readonly key: string; readonly id: string };
}

/** The fields of /proc/<pid>/stat after the command name (state, parent, ...), or none once the process is gone. */
function statFields(pid: number): string[] {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    // Any process of the machine may exit while it is looked at.
    if (['ENOENT', 'ESRCH'].includes((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** proc(5): after the command name, the 20th field is the start time (field 22 of the line). */
const STAT_START_TIME = 19;

function processOf(pid: number): Process {
  return { pid, started: statFields(pid)[STAT_START_TIME] };
}

/** Whether the process still runs: the same pid, started at the same time, and not a zombie. */
function stillRunning(process: Process): boolean {
  const fields = statFields(process.pid);
  return fields.length > 0 && fields[STAT_START_TIME] === process.started && fields[0] !== 'Z';
}

/** The processes whose parent is `pid` (the parent's pid is the field after the state). */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && Number(statFields(Number(entry))[1]) === pid).map(Number);
}

/** postmaster.pid's 7th line: the key and id of PostgreSQL's shared memory segment (miscadmin.h, LOCK_FILE_LINE_SHMEM_KEY). */
const POSTMASTER_PID_SHMEM_LINE = 7;

function snapshot(dir: string): Run {
  const started = (['keeper', 'initdb', 'postgres', 'pgbouncer'] as RunProcess[]).flatMap((name) => readPid(dir, name) ?? []);
  const pidFile = path.join(dir, 'data', 'postmaster.pid');
  const [key, id] = fs.existsSync(pidFile)
    ? (fs.readFileSync(pidFile, 'utf8').split('\n')[POSTMASTER_PID_SHMEM_LINE - 1] ?? '').trim().split(/\s+/) : [];
  return { dir, processes: [...started, ...started.flatMap(childrenOf)].map(processOf), segment: id ? { key, id } : undefined };
}

/** The user the servers run as: postgres (or nobody) when the tests run as root. */
const serverUid = serviceUser()?.uid ?? process.getuid!();
/** A test that needs a rehearsal in progress: clients waiting for PgBouncer. */
const testWithPgBouncer = PGBOUNCER ? test : test.skip;

/**
 * System V segments of the servers' user that no process has attached: leaked (a running PostgreSQL keeps its
 * segment attached from creating it to removing it).
 */
function leakedSegments(): string[] {
  return sharedMemorySegments().filter((s) => s.uid === serverUid && s.attached === 0).map((s) => s.id);
}

/** Waits until nothing of the run is left: no process, no directory, no shared memory segment. */
async function gone(run: Run): Promise<void> {
  await until(`${run.dir} removed`, () => (fs.existsSync(run.dir) ? undefined : true));
  await until(`no process of ${run.dir} running (${run.processes.map((p) => p.pid).join(' ')})`, () => (run.processes.some(stillRunning) ? undefined : true));
  await until(`no shared memory segment ${run.segment?.id}`, () =>
    (sharedMemorySegments().some((s) => s.key === run.segment?.key && s.id === run.segment?.id) ? undefined : true));
}

/** A rehearsal in progress: the servers are up and 15 clients wait for the proxy. */
async function inProgress(child: ChildProcess): Promise<Run> {
  const dir = await runDirectoryOf(child.pid!);
  await until(`${WAITING_CLIENTS} clients waiting`, async () => {
    const session = await openSession({ socket: runSockets(dir).proxy, user: ADMIN_ROLE, database: 'pgbouncer' }, DEADLINE_MS).catch(() => undefined);
    const pool = (await session?.query('SHOW POOLS'))?.find((row) => row.database === 'app');
    session?.close();
    return Number(pool?.cl_waiting) === WAITING_CLIENTS ? true : undefined;
  });
  return snapshot(dir);
}

/** A rehearsal in progress whose CLI and keeper were killed (the keeper frozen first, so it cannot act): its servers are left running. */
async function deadRun(): Promise<Run> {
  const cli = startCli(['rehearse', waiting, '--wait', '300']);
  const run = await inProgress(cli.child);
  const keeper = processOf(readPid(run.dir, 'keeper')!);
  process.kill(keeper.pid, 'SIGSTOP');
  cli.child.kill('SIGKILL');
  await cli.exit;
  process.kill(keeper.pid, 'SIGKILL');
  await until('the keeper gone', () => (stillRunning(keeper) ? undefined : true));
  return run;
}

describe('nothing outlives a rehearsal', () => {
  let leakedBefore: string[] = [];
  beforeEach(() => { leakedBefore = leakedSegments(); });
  afterEach(() => expect(leakedSegments().filter((id) => !leakedBefore.includes(id))).toEqual([]));

  testWithPgBouncer.each(['SIGKILL', 'SIGHUP', 'SIGTERM'] as const)('when the CLI gets %s in the middle of a rehearsal (needs PgBouncer)', async (signal) => {
    const cli = startCli(['rehearse', waiting, '--wait', '300']);
    const run = await inProgress(cli.child);
    expect(run.segment).toBeDefined();
    expect(run.processes.length).toBeGreaterThan(3);
    cli.child.kill(signal);
    const exit = await cli.exit;
    await gone(run);
    if (signal === 'SIGKILL') {
      expect(exit.signal).toBe('SIGKILL');
    } else {
      expect(exit.code).toBe(128 + os.constants.signals[signal]);
      expect(exit.stderr).toBe(`connection-budget: interrupted by ${signal}; the rehearsal's servers are stopped and its directory removed.\n`);
    }
  }, REHEARSAL_TIMEOUT_MS);

  test('when the CLI gets SIGINT before the servers are ready', async () => {
    const cli = startCli(['rehearse', waiting, '--wait', '300']);
    const dir = await runDirectoryOf(cli.child.pid!);
    // initdb is the first server process; PostgreSQL starts after it.
    await until('initdb started', () => readPid(dir, 'initdb'));
    const run = snapshot(dir);
    cli.child.kill('SIGINT');
    const exit = await cli.exit;
    await gone(run);
    expect(exit.code).toBe(130);
    expect(exit.stderr).toBe('connection-budget: interrupted by SIGINT; the rehearsal\'s servers are stopped and its directory removed.\n');
  }, REHEARSAL_TIMEOUT_MS);

  test('when it ends: the servers stop and remove their shared memory segment', async () => {
    const result = runAsync(['rehearse', fitting]);
    const run = await until('the servers up', () => {
      const dir = fs.readdirSync(os.tmpdir()).find((name) => name.startsWith(`${RUN_DIRECTORY_PREFIX}${process.pid}-`));
      const found = dir === undefined ? undefined : snapshot(path.join(os.tmpdir(), dir));
      return found?.segment ? found : undefined;
    });
    expect((await result).code).toBe(0);
    expect(fs.existsSync(run.dir)).toBe(false);
    await gone(run);
  }, REHEARSAL_TIMEOUT_MS);

  testWithPgBouncer('when the CLI and its keeper were both killed: the next rehearsal undoes the run (needs PgBouncer)', async () => {
    // GIVEN a run whose CLI and keeper were killed, its servers still up
    const run = await deadRun();
    expect([readPid(run.dir, 'postgres')!, readPid(run.dir, 'pgbouncer')!].map(processOf).every(stillRunning)).toBe(true);
    // WHEN another rehearsal starts
    expect((await runAsync(['rehearse', fitting])).code).toBe(0);
    // THEN the dead run is gone
    await gone(run);
  }, REHEARSAL_TIMEOUT_MS);

  testWithPgBouncer('when PostgreSQL does not stop: it is killed and its shared memory segment removed (needs PgBouncer)', async () => {
    // GIVEN a dead run whose PostgreSQL is frozen, so it cannot shut down
    const run = await deadRun();
    process.kill(readPid(run.dir, 'postgres')!, 'SIGSTOP');
    // WHEN the run is undone, with a second to stop
    await teardownRun(run.dir, 1_000);
    // THEN
    await gone(run);
  }, REHEARSAL_TIMEOUT_MS);
});
