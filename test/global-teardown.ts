import * as fs from 'fs';
import * as path from 'path';

/** The pid files of the database servers the tests start (test/helpers/local-databases.ts): PostgreSQL's and MariaDB's. */
const SERVER_PID_FILES = new Set(['postmaster.pid', 'mysqld.pid']);

/**
 * Removes the run's temporary directory (global-setup.ts). A test file that ended without its afterAll (a crashed or
 * killed worker) may have left a database server running there: it is stopped first, so no process outlives the run.
 */
export default function teardown(): void {
  const root = process.env.CONNECTION_BUDGET_TEST_TMPDIR;
  if (!root) return;
  for (const pid of serverPids(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
}

/** The first line of every server pid file under `dir`. */
function serverPids(dir: string): number[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return serverPids(file);
    if (!SERVER_PID_FILES.has(entry.name)) return [];
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 1 ? [pid] : [];
  });
}
