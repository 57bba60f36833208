import * as fs from 'fs';

/** Removes the run's temporary directory (global-setup.ts). */
export default function teardown(): void {
  const root = process.env.CONNECTION_BUDGET_TEST_TMPDIR;
  if (root) fs.rmSync(root, { recursive: true, force: true });
}
