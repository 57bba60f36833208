import * as fs from 'fs';
import { assemblyWith, runAsync, sampleLedger } from '../cli/fixtures';

// Options a rehearsal refuses before it starts anything: no server runs in this file.
const assembly = assemblyWith({ Data: [sampleLedger()] });

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

test('a ledger consumer missing a number the plan multiplies is refused with exit 2, not left out of the rehearsal', async () => {
  const ledger = sampleLedger();
  const damaged = assemblyWith({ Data: [{ ...ledger, consumers: ledger.consumers.map((c) => (c.path === 'Jobs/Worker'
    ? { ...c, connections: { poolsPerProcess: c.connections.poolsPerProcess, overflowPerPool: c.connections.overflowPerPool } } as typeof c : c)) }] });
  try {
    const result = await runAsync(['rehearse', damaged]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'connection-budget: budget \'Data/Budget\' cannot be rehearsed: consumer \'Jobs/Worker\': connections.processes is missing, not a whole '
        + 'number of at least 0. A rehearsal opens every consumer\'s worst case from these numbers: fix the budget\'s errors (connection-budget '
        + 'report lists them), or synthesize the app again with this library version if the ledger was damaged or edited.\n',
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
