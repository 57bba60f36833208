/**
 * A rehearsal that cannot run, or cannot reach a verdict: too many connections for this machine, a server that
 * fails to start (with its own output), a stand-in that stops answering. The message says why and what to do.
 * Exit code 2, like other input the CLI cannot use.
 */
export class RehearsalError extends Error {}
