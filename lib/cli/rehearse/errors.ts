import * as os from 'os';

/** A shell reports a process ended by signal N with exit status 128 + N (POSIX, Shell Command Language 2.8.2, "Exit Status for Commands"). */
const SHELL_SIGNAL_EXIT_BASE = 128;

/**
 * A rehearsal that cannot run, or cannot reach a verdict: too many connections for this machine, a server that
 * fails to start (with its own output), a stand-in that stops answering. The message says why and what to do.
 * Exit code 2, like other input the CLI cannot use.
 */
export class RehearsalError extends Error {}

/**
 * A rehearsal stopped by a signal (Ctrl-C, kill, the terminal closing) once the stand-in was stopped and its
 * directory removed. The CLI exits as a shell reports a process the signal ended: 128 + the signal's number.
 */
export class RehearsalInterrupted extends Error {
  public readonly exitCode: number;

  public constructor(public readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}; the rehearsal's servers are stopped and its directory removed.`);
    this.exitCode = signalExitCode(signal);
  }
}

/** The exit status a shell reports for a process that `signal` ended. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return SHELL_SIGNAL_EXIT_BASE + os.constants.signals[signal];
}
