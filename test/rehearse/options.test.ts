 
import * as fs from 'fs';
import * as path from 'path';
import { findPostgres } from '../../lib/cli/rehearse/servers';
import { synthSample } from '../cli/apps';
import { runAsync } from '../cli/fixtures';
import { REHEARSAL_TIMEOUT_MS } from '../helpers/servers';

jest.setTimeout(REHEARSAL_TIMEOUT_MS);

// Options a rehearsal refuses before it starts anything (no server runs for those), and one real run of --proxy-stand-in.
const assembly = synthSample();

afterAll(() => fs.rmSync(assembly, { recursive: true, force: true }));

describe('rehearse --wait', () => {
  test.each([
    ['301', '--wait must be at most 300 seconds, got \'301\': RDS Proxy waits at most 300 s for a connection (its ConnectionBorrowTimeout).'],
    ['1000000', '--wait must be at most 300 seconds, got \'1000000\': RDS Proxy waits at most 300 s for a connection (its ConnectionBorrowTimeout).'],
    // From here on Node's timers overflow: every connection would time out after 1 ms.
    ['2147484', '--wait must be at most 300 seconds, got \'2147484\': RDS Proxy waits at most 300 s for a connection (its ConnectionBorrowTimeout).'],
  ])('fails when --wait is %s', async (wait, message) => {
    const result = await runAsync(['rehearse', assembly, '--wait', wait]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `connection-budget: ${message}\nRun connection-budget --help for usage.\n` });
  });
});

describe('rehearse --surging', () => {
  test('fails for a budget that does not deploy in waves, before it starts anything', async () => {
    const result = await runAsync(['rehearse', assembly, '--surging', 'Web/Api']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("deploys no service 'Web/Api' in waves; it deploys every service at once (deployInWaves is off), so every service surges.");
  });
});

describe('rehearse --proxy-stand-in', () => {
  test.each(['PgBouncer', 'rds-proxy', ''])('fails when it is \'%s\', naming the two stand-ins', async (value) => {
    const result = await runAsync(['rehearse', assembly, '--proxy-stand-in', value]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `connection-budget: --proxy-stand-in must be pgbouncer or connection-limit, got '${value}'.\nRun connection-budget --help for usage.\n`,
    });
  });

  test('connection-limit runs the rehearsal on PostgreSQL alone, and its JSON names the stand-in', async () => {
    const small = synthSample({ apiMaxTasks: 1 });
    try {
      const result = await runAsync(['rehearse', small, '--proxy-stand-in', 'connection-limit', '--format', 'json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).standIn).toEqual({ postgres: findPostgres().source, proxy: 'connection-limit' });
    } finally {
      fs.rmSync(small, { recursive: true, force: true });
    }
  });

  test('is refused by the commands that rehearse nothing', async () => {
    const result = await runAsync(['report', assembly, '--proxy-stand-in', 'pgbouncer']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--proxy-stand-in');
  });
});

describe('rehearse --pools-from size:N', () => {
  test.each(['size:-1', 'size:abc', 'size:0', 'size:1.5', 'size:', 'size:1e3'])('fails when it is %s, a size that is not a whole number of at least 1', async (value) => {
    const result = await runAsync(['rehearse', assembly, '--pools-from', value]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `connection-budget: --pools-from size:N needs N of at least 1, got '${value}'. N is a whole number: the pool size every consumer gets `
        + `(to replay the pools of an assembly named like this, write './${value}').\nRun connection-budget --help for usage.\n`,
    });
  });
});

test('a record missing a number the plan multiplies is refused with exit 2, not left out of the rehearsal', async () => {
  const damaged = synthSample();
  const file = path.join(damaged, 'Jobs.template.json');
  const template = JSON.parse(fs.readFileSync(file, 'utf8'));
  const [logicalId, holder] = Object.entries<any>(template.Resources).find(([, r]) => r.Metadata?.ConnectionBudget?.budgets?.['Data/Budget']?.['Jobs/Worker'])!;
  delete holder.Metadata.ConnectionBudget.budgets['Data/Budget']['Jobs/Worker'].connections.processes;
  fs.writeFileSync(file, JSON.stringify(template));
  try {
    const result = await runAsync(['rehearse', damaged]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `connection-budget: the connection budget record on '${logicalId}' in '${file}' is not a valid version 1 record: `
        + "budgets['Data/Budget']['Jobs/Worker'].connections.processes must be a whole number from 1 to 1000000, got undefined.\n",
    });
  } finally {
    fs.rmSync(damaged, { recursive: true, force: true });
  }
});

test('a plan over the connection cap is refused with exit 2, naming the count and the fix', async () => {
  // Api 20 tasks × 1000 + Worker 4 × (1000 + 2) + migrations 10 = 24,018.
  const result = await runAsync(['rehearse', assembly, '--pools-from', 'size:1000']);
  expect(result).toEqual({
    code: 2,
    stdout: '',
    stderr: 'connection-budget: the plan opens 24018 connections, more than a rehearsal opens (20000). '
      + 'Rehearse smaller pools on the same topology (--pools-from size:N), or a smaller budget.\n',
  });
});
