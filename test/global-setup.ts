import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Every temporary file of the run (the cdk.out of each App without an outdir, fixtures, the CLI's and the rehearsal's
 * run directories) goes under one directory, removed when the run ends (global-teardown.ts), so `npm test` leaves
 * nothing in the system's. Set here, in jest's own process, before any worker starts: os.tmpdir() reads the process
 * environment, which a test file's sandboxed `process.env` does not reach.
 */
export default function setup(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-budget-test-'));
  // The rehearsal's servers run as the postgres user when the tests run as root: they must reach their run directory.
  fs.chmodSync(root, 0o755);
  process.env.CONNECTION_BUDGET_TEST_TMPDIR = root;
  process.env.TMPDIR = root;
}
