import * as fs from 'fs';
import * as path from 'path';
import { RehearsalError } from './errors';
import { KeptProcess, ProcessExit } from './keeper';
import { SERVER_STEP_TIMEOUT_MS } from './run-directory';
import { openSession, Session, Target } from './wire';

/** How often a starting server is probed. */
export const STARTUP_POLL_MS = 200;
/** How much of a server's output an error quotes: enough for PostgreSQL's FATAL line and its DETAIL and HINT. */
const LOG_TAIL_LINES = 10;
/** Log lines of PostgreSQL and PgBouncer that report a problem, by their severity (the rest are LOG lines). */
const SEVERE_LOG_LINE = /\b(WARNING|ERROR|FATAL|PANIC|DETAIL|HINT):/;

/** A server of the run, by the name of its log: the keeper appends its output to `<dir>/<name>.log`. */
export type ServerLog = 'initdb' | 'postgres' | 'pgbouncer';

const SERVER_NAMES: Record<ServerLog, string> = { initdb: 'initdb', postgres: 'PostgreSQL', pgbouncer: 'PgBouncer' };

/** Opens a session on a starting server as soon as it accepts one; fails with the server's output when it exits or never accepts. */
export async function waitForSession(target: Target, server: KeptProcess, log: 'postgres' | 'pgbouncer', dir: string): Promise<Session> {
  const what = SERVER_NAMES[log];
  const deadline = Date.now() + SERVER_STEP_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const exit = server.exit();
    if (exit) {
      throw new RehearsalError(`${what} ${exitDescription(exit)} while starting, so there is nothing to rehearse against. `
        + `From its output:\n${serverOutput(dir, log)}`);
    }
    try {
      return await openSession(target, SERVER_STEP_TIMEOUT_MS);
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
  }
  throw new RehearsalError(`${what} did not accept connections within ${SERVER_STEP_TIMEOUT_MS / 1000} s (the last attempt: ${last}), `
    + `so there is nothing to rehearse against. From its output:\n${serverOutput(dir, log)}`);
}

/**
 * The last lines of what a server of the run wrote that say what went wrong, indented for an error message: its
 * warnings and errors if it logged any, else its last lines.
 */
export function serverOutput(dir: string, log: ServerLog): string {
  const file = path.join(dir, `${log}.log`);
  const lines = (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split('\n').filter((line) => line.trim() !== '');
  const severe = lines.filter((line) => SEVERE_LOG_LINE.test(line));
  const chosen = severe.length > 0 ? severe : lines;
  return (chosen.length > 0 ? chosen.slice(-LOG_TAIL_LINES) : ['(no output)']).map((line) => `  ${line}`).join('\n');
}

export function exitDescription(exit: ProcessExit): string {
  if (exit.code !== null) return `exited with code ${exit.code}`;
  return exit.signal !== null ? `was stopped by ${exit.signal}` : `could not be started (${exit.error})`;
}
