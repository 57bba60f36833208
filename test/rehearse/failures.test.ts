import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findBinaries } from '../../lib/cli/rehearse/stand-in';
import { ecsService } from '../budget/fixtures';
import { assemblyWith, runAsync, sampleLedger } from '../cli/fixtures';
import { BIN, ensureCompiled } from '../helpers/compiled-cli';

// Servers that fail to start: the rehearsal exits 2 with the server's own words. Real PostgreSQL and PgBouncer.
const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

test('fails with exit 2 and PostgreSQL\'s own error when PostgreSQL cannot start', async () => {
  // GIVEN a budget whose max_connections PostgreSQL does not accept (at most 262,143)
  const ledger = sampleLedger();
  const huge = assemblyWith({ Data: [{ ...ledger, capacity: { ...ledger.capacity!, maxConnections: { ...ledger.capacity!.maxConnections, value: 300_000 } } }] });
  made.push(huge);
  // WHEN it is rehearsed
  const result = await runAsync(['rehearse', huge]);
  // THEN the exit code is 2 and the message quotes the server
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^connection-budget: PostgreSQL exited with code 1 while starting, so there is nothing to rehearse against\. Its last output:\n {2}.*FATAL: {2}300001 is outside the valid range for parameter "max_connections" \(1 \.\. 262143\)\n$/);
});

test('fails with exit 2 and PgBouncer\'s own error when PgBouncer cannot start', async () => {
  // GIVEN a pgbouncer first on PATH that runs the real one with an option it does not know
  ensureCompiled();
  const real = findBinaries(true).pgbouncer;
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-failing-pgbouncer-'));
  made.push(bin);
  // Readable by the postgres user, which runs the servers when the tests run as root.
  fs.chmodSync(bin, 0o755);
  fs.writeFileSync(path.join(bin, 'pgbouncer'), `#!/bin/sh\nexec ${real} --no-such-option "$@"\n`, { mode: 0o755 });
  const assembly = assemblyWith({ Data: [sampleLedger(1, [ecsService('Web/Small', { maxTasks: 1, pool: 1 })])] });
  made.push(assembly);
  // WHEN the compiled CLI rehearses with it
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile('node', [BIN, 'rehearse', assembly], { env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
  });
  // THEN the exit code is 2 and the message quotes PgBouncer
  expect(result.stderr).toBe('connection-budget: PgBouncer exited with code 1 while starting, so there is nothing to rehearse against. Its last output:\n'
    + `  ${real}: unrecognized option '--no-such-option'\n  Try "${real} --help" for more information.\n`);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
});
