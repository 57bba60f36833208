import { ClientOutcome, percentile, RehearsalPlan } from '../../budget';
import { CLIENT_ROLE, PROXY_DATABASE, startStandIn } from './stand-in';
import { Attempt, connectAndQuery } from './wire';

/** How a rehearsal runs. */
export interface RehearsalOptions {
  /** How long a client waits for a connection before it counts as timed out (the proxy's borrow timeout). */
  readonly waitSeconds: number;
  /** How long every opened connection is held, all at once, before release. */
  readonly holdMs: number;
}

/** The most connections a rehearsal opens: a bound on what a typo in a budget can do to this machine. */
export const MAX_REHEARSAL_CONNECTIONS = 20_000;

/** Client-side slack beyond the proxy's wait, so its own timeout (an answer) wins over ours (silence). */
const CLIENT_TIMEOUT_SLACK_MS = 5_000;

/**
 * Runs a plan: starts the stand-in, opens every client's connections at once (each runs a query, so the
 * proxy stand-in must hand it a server connection), holds them together, then releases them and stops
 * the stand-in, also when interrupted.
 */
export async function rehearse(plan: RehearsalPlan, options: RehearsalOptions): Promise<ClientOutcome[]> {
  const total = plan.clients.reduce((n, c) => n + c.connections, 0);
  if (total > MAX_REHEARSAL_CONNECTIONS) {
    throw new RangeError(`the plan opens ${total} connections, more than a rehearsal allows (${MAX_REHEARSAL_CONNECTIONS}).`);
  }
  const standIn = await startStandIn(plan, options.waitSeconds);
  const interrupted = () => {
    standIn.stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const timeoutMs = options.waitSeconds * 1000 + CLIENT_TIMEOUT_SLACK_MS;
    const attempts = await Promise.all(plan.clients.map((client) => Promise.all(Array.from({ length: client.connections }, () => {
      const direct = client.route === 'direct' || standIn.proxyPort === undefined;
      return connectAndQuery(direct ? standIn.databasePort : standIn.proxyPort!, CLIENT_ROLE, direct ? 'postgres' : PROXY_DATABASE, 'SELECT 1', timeoutMs);
    }))));
    await new Promise((r) => setTimeout(r, options.holdMs));
    for (const attempt of attempts.flat()) {
      if (attempt.ok) attempt.release();
    }
    return plan.clients.map((client, i) => outcome(client.name, client.route, attempts[i]));
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    standIn.stop();
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
