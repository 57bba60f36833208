import { ClientOutcome, percentile, RehearsalPlan } from '../../budget';
import { RehearsalError, RehearsalInterrupted, signalExitCode } from './errors';
import { startKeeper } from './keeper';
import { createRunDirectory, reapDeadRuns, SERVER_STEP_TIMEOUT_MS } from './run-directory';
import { chooseServers, Servers } from './servers';
import { checkOpenFileLimit, openFileLimit, StandIn, startStandIn } from './stand-in';
import { Attempt, connectAndQuery } from './wire';

/** How a rehearsal runs. */
export interface RehearsalOptions {
  /** How long a client waits for a connection before it counts as timed out (the proxy's borrow timeout). */
  readonly waitSeconds: number;
  /** How long every opened connection is held, all at once, before release. */
  readonly holdMs: number;
  /** The servers to run. @default PostgreSQL, and PgBouncer for a proxy when it is installed (chooseServers) */
  readonly servers?: Servers;
}

/**
 * The longest a client may wait for a connection, in seconds: RDS Proxy's longest ConnectionBorrowTimeout in the
 * current RDS API (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ConnectionPoolConfiguration.html,
 * 0 to 300 s; the console says "up to a maximum of five minutes"). CloudFormation still documents 3600 s, which the
 * current API does not accept; a longer wait would rehearse a proxy that cannot be deployed.
 */
export const MAX_WAIT_SECONDS = 300;

/** The most connections a rehearsal opens: a bound on what a typo in a budget can do to this machine. */
export const MAX_REHEARSAL_CONNECTIONS = 20_000;

/** Signals that end a rehearsal early: Ctrl-C, kill's default, and the terminal closing. */
const INTERRUPTIONS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs a plan: undoes what dead rehearsals left, starts the stand-in under a keeper, opens every client's
 * connections at once (each runs a query, so the proxy stand-in must hand it a server connection), holds
 * them together, then releases them and stops the stand-in. Interrupted (SIGINT, SIGTERM, SIGHUP), it stops
 * the stand-in and fails with RehearsalInterrupted; killed outright, its keeper stops the stand-in. A
 * connection the stand-in never answers (PgBouncer waits at most the proxy's wait, then answers with a timeout)
 * makes the rehearsal inconclusive: an error, never a verdict.
 */
export async function rehearse(plan: RehearsalPlan, options: RehearsalOptions): Promise<ClientOutcome[]> {
  const total = plan.clients.reduce((n, c) => n + c.connections, 0);
  if (total > MAX_REHEARSAL_CONNECTIONS) {
    throw new RehearsalError(`the plan opens ${total} connections, more than a rehearsal opens (${MAX_REHEARSAL_CONNECTIONS}). `
      + 'Rehearse smaller pools on the same topology (--pools-from size:N), or a smaller budget.');
  }
  const servers = options.servers ?? chooseServers(plan.proxyServerConnections !== undefined);
  checkOpenFileLimit(plan, openFileLimit(), servers.proxy?.kind);
  await reapDeadRuns();
  const keeper = startKeeper(createRunDirectory());
  let interruption: NodeJS.Signals | undefined;
  const interrupt = (signal: NodeJS.Signals) => {
    // A second signal does not wait: the keeper still stops the stand-in once this process is gone.
    if (interruption) process.exit(signalExitCode(signal));
    interruption = signal;
    void keeper.stop();
  };
  INTERRUPTIONS.forEach((signal) => process.on(signal, interrupt));
  try {
    const outcomes = await openEveryConnection(plan, options, await startStandIn(plan, options.waitSeconds, keeper, servers));
    if (interruption) throw new RehearsalInterrupted(interruption);
    return outcomes;
  } catch (e) {
    // Once interrupted, whatever failed failed because the stand-in was stopped.
    throw interruption ? new RehearsalInterrupted(interruption) : e;
  } finally {
    INTERRUPTIONS.forEach((signal) => process.removeListener(signal, interrupt));
    await keeper.stop();
  }
}

async function openEveryConnection(plan: RehearsalPlan, options: RehearsalOptions, standIn: StandIn): Promise<ClientOutcome[]> {
  try {
    const deadlineMs = options.waitSeconds * 1000 + SERVER_STEP_TIMEOUT_MS;
    const attempts = await Promise.all(plan.clients.map((client) => Promise.all(Array.from({ length: client.connections }, () =>
      connectAndQuery(standIn.target(client.route), 'SELECT 1', { deadlineMs, window: standIn.window })))));
    await new Promise((r) => setTimeout(r, options.holdMs));
    for (const attempt of attempts.flat()) {
      if (attempt.ok) attempt.release();
    }
    const unanswered = attempts.flat().filter((a) => !a.ok && a.kind === 'unanswered').length;
    if (unanswered > 0) {
      throw new RehearsalError(`the stand-in left ${unanswered} of ${attempts.flat().length} connections unanswered for ${deadlineMs / 1000} s `
        + `(the ${options.waitSeconds} s wait and ${SERVER_STEP_TIMEOUT_MS / 1000} s more), so the rehearsal has no verdict. `
        + 'The machine is too busy, or a server stopped answering: run it again on a quieter machine.');
    }
    return plan.clients.map((client, i) => outcome(client.name, client.route, attempts[i]));
  } finally {
    standIn.close();
  }
}

function outcome(name: string, route: 'proxy' | 'direct', attempts: readonly Attempt[]): ClientOutcome {
  const times = attempts.flatMap((a) => (a.ok ? [a.ms] : [])).sort((a, b) => a - b);
  const failures = attempts.flatMap((a) => (a.ok ? [] : [a]));
  return {
    name,
    route,
    requested: attempts.length,
    opened: times.length,
    refused: failures.filter((f) => f.kind === 'refused').length,
    timedOut: failures.filter((f) => f.kind === 'timed out').length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    errors: [...new Set(failures.map((f) => f.message))].sort(),
  };
}
