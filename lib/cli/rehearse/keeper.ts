import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ServerProcess, teardownRun, writePid } from './run-directory';

/**
 * The keeper of a run: a small process the CLI starts first, which starts the run's servers (so they are its
 * children, and it reaps them) and holds a pipe (Node's IPC channel) from the CLI. However the CLI ends (it
 * returns, is interrupted, or is killed with SIGKILL), the pipe closes, and the keeper stops the servers and
 * removes the run directory before it exits. It runs in its own session, so the terminal's Ctrl-C and hangup
 * reach the CLI only, and the CLI decides.
 */

/** How a process of the run ended: its exit code or signal, or why it could not be started. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly error?: string;
}

/** A process the keeper started. */
export interface KeptProcess {
  /** How it ended, once it has. */
  readonly exit: () => ProcessExit | undefined;
  /** Resolves when it has ended (or the keeper did). */
  readonly exited: Promise<ProcessExit>;
}

/** The user the servers run as, when the CLI runs as root. */
export interface ServiceUser {
  readonly uid: number;
  readonly gid: number;
}

/** A run's keeper, seen from the CLI. */
export interface Keeper {
  /** The run directory. */
  readonly dir: string;
  /** Starts a process of the run in its own process group, its output appended to `<dir>/<name>.log`. */
  readonly start: (name: ServerProcess, file: string, args: readonly string[], user: ServiceUser | undefined) => KeptProcess;
  /** Stops the run's processes, removes the run directory and resolves once the keeper has exited; the same promise on every call. */
  readonly stop: () => Promise<void>;
}

/** What the CLI asks of its keeper. */
interface StartRequest {
  readonly name: ServerProcess;
  readonly file: string;
  readonly args: readonly string[];
  readonly uid?: number;
  readonly gid?: number;
}

/** What the keeper tells the CLI: a process ended. */
interface ExitReport extends ProcessExit {
  readonly name: ServerProcess;
}

/** A started process as the CLI tracks it: how it ended, once the keeper said so. */
interface Pending {
  exit?: ProcessExit;
  readonly settle: (exit: ProcessExit) => void;
}

/** Starts the keeper of the run in `dir`. */
export function startKeeper(dir: string): Keeper {
  // From its TypeScript source (the test suite runs that), node needs ts-node to load the keeper; the package runs the compiled one.
  const loader = __filename.endsWith('.ts') ? ['--require', require.resolve('ts-node/register/transpile-only')] : [];
  const keeper = spawn(process.execPath, [...loader, __filename, dir], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const kept = new Map<ServerProcess, Pending>();
  const settle = (name: ServerProcess, exit: ProcessExit) => {
    const entry = kept.get(name);
    if (entry && !entry.exit) {
      entry.exit = exit;
      entry.settle(exit);
    }
  };
  keeper.on('message', (report: ExitReport) => settle(report.name, { code: report.code, signal: report.signal, error: report.error }));
  const gone = new Promise<void>((resolve) => {
    keeper.once('exit', () => resolve());
    keeper.once('error', () => resolve());
  });
  const ended: ProcessExit = { code: null, signal: null, error: 'the rehearsal\'s keeper process ended' };
  void gone.then(() => kept.forEach((_, name) => settle(name, ended)));
  let stopping: Promise<void> | undefined;
  return {
    dir,
    start: (name, file, args, user) => {
      let resolve: (exit: ProcessExit) => void = () => undefined;
      const exited = new Promise<ProcessExit>((r) => { resolve = r; });
      const entry: Pending = { settle: resolve };
      kept.set(name, entry);
      if (keeper.connected) keeper.send({ name, file, args, ...user } satisfies StartRequest);
      else settle(name, ended);
      return { exit: () => entry.exit, exited };
    },
    stop: () => {
      stopping ??= (async () => {
        if (keeper.connected) keeper.disconnect();
        await gone;
        // A keeper that died before it undid its run (killed, say) leaves that to its owner.
        if (fs.existsSync(dir)) await teardownRun(dir);
      })();
      return stopping;
    },
  };
}

/** The keeper's own side: started as `node keeper.js <dir>` with an IPC channel to the CLI. */
function keep(dir: string): void {
  writePid(dir, 'keeper', process.pid);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    teardownRun(dir).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('message', (request: StartRequest) => {
    if (!stopping) run(dir, request);
  });
  process.once('disconnect', stop);
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, stop);
}

function run(dir: string, request: StartRequest): void {
  const log = path.join(dir, `${request.name}.log`);
  const report = (exit: ProcessExit) => {
    if (process.connected) process.send!({ name: request.name, ...exit } satisfies ExitReport);
  };
  const fd = fs.openSync(log, 'a');
  try {
    // Its own process group: signals for the run's process group reach it and its children only.
    const child = spawn(request.file, request.args, { stdio: ['ignore', fd, fd], detached: true, uid: request.uid, gid: request.gid });
    if (child.pid !== undefined) writePid(dir, request.name, child.pid);
    // A process that cannot be started at all (not executable, say) has no pid and emits only this error.
    child.on('error', (e) => {
      fs.appendFileSync(log, `${e.message}\n`);
      report({ code: null, signal: null, error: e.message });
    });
    child.on('exit', (code, signal) => report({ code, signal }));
  } finally {
    fs.closeSync(fd);
  }
}

if (require.main === module) {
  keep(process.argv[2]);
}
