import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { buildPlatform } from '../../bin/example/platform';
import { evaluateBudget, rehearsalPlan } from '../../lib/budget';
import { startKeeper } from '../../lib/cli/rehearse/keeper';
import { rehearse } from '../../lib/cli/rehearse/rehearse';
import { createRunDirectory, RUN_DIRECTORY_PREFIX } from '../../lib/cli/rehearse/run-directory';
import { ADMIN_ROLE, findBinaries, MissingToolError, startStandIn } from '../../lib/cli/rehearse/stand-in';
import { openSession } from '../../lib/cli/rehearse/wire';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from '../budget/fixtures';
import { runAsync } from '../cli/fixtures';

// Real PostgreSQL and PgBouncer, from the Debian packages .ci/run installs.
/**
 * A bound on a stuck rehearsal of the example app, never its verdict: starting and stopping its ~800 PostgreSQL
 * backends takes about 45 s on an idle 2-core machine, and two to three times that with both cores busy.
 */
const EXAMPLE_REHEARSAL_TIMEOUT_MS = 600_000;
/** Run directories of this process's rehearsals (other test files' runs have other owners). */
const leftovers = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`${RUN_DIRECTORY_PREFIX}${process.pid}-`));

describe('connection-budget rehearse on the example app', () => {
  // Made when a test of this block runs, so a run that filters them all out leaves no directory behind.
  let outdir = '';
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-app-'));
    const app = new App({ outdir });
    buildPlatform(app);
    app.synth();
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('at full surge, every consumer and reservation opens every connection: zero refused, exit 0', async () => {
    const result = await runAsync(['rehearse', outdir, '--wait', '10']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Rehearsal of PlatformData/Database/Budget: PostgreSQL with max_connections 800 (5 reserved for superusers), '
      + 'PgBouncer in session pooling with 771 server connections for the proxy\'s ceiling.');
    // 764 consumer connections at the worst case, plus 15 reserved (migrations 10, admin 5).
    expect(result.stdout).toContain('779 of 779 connections opened, none refused or timed out.');
    expect(result.stdout).toMatch(/PlatformWeb\/Storefront\/Service\s+proxy\s+10\s+200\s+200\s+0\s+0\s+\d+ ms\s+\d+ ms/);
    expect(result.code).toBe(0);
    expect(leftovers()).toEqual([]);
  }, EXAMPLE_REHEARSAL_TIMEOUT_MS);

  test('with every pool at a framework default of 10, the same topology loses connections, and the report says who lost', async () => {
    const result = await runAsync(['rehearse', outdir, '--pools-from', 'size:10', '--wait', '3', '--format', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const requested = report.outcomes.reduce((n: number, o: { requested: number }) => n + o.requested, 0);
    const opened = report.outcomes.reduce((n: number, o: { opened: number }) => n + o.opened, 0);
    // 80 + 192 + 40 + 200 + 120 + 240 + 200 through the proxy, which may hold 771, plus 15 reserved directly.
    expect(requested).toBe(1087);
    expect(opened).toBe(771 + 15);
    const losers = report.outcomes.filter((o: { opened: number; requested: number }) => o.opened < o.requested);
    expect(losers.length).toBeGreaterThan(0);
    expect(losers.every((o: { errors: string[] }) => o.errors.includes('query_wait_timeout'))).toBe(true);
    expect(report.summary).toMatch(new RegExp(`^786 of 1087 connections opened: 0 refused and 301 timed out, lost by ${losers.map((o: { name: string }) => o.name).join(', ')}\\.$`));
  }, EXAMPLE_REHEARSAL_TIMEOUT_MS);
});

describe('the proxy stand-in', () => {
  test('has every server connection its clients can use open before the first client connects, and waits only then', async () => {
    // GIVEN ceiling floor(100 × 50 %) − 5 = 45 and 4 tasks × 200 % × pool 8 = 64 clients through the proxy
    const plan = rehearsalPlan(ledgerOf(budget(postgresBehindProxy(100, 50), [ecsService('Web/Api', { maxTasks: 4, pool: 8 })])));
    expect(plan.proxyServerConnections).toBe(45);
    const keeper = startKeeper(createRunDirectory());
    try {
      const standIn = await startStandIn(plan, 7, keeper, findBinaries(true));
      // WHEN PgBouncer's console is asked, before any client of the rehearsal connected
      const adminConsole = await openSession({ port: standIn.target('proxy').port, user: ADMIN_ROLE, database: 'pgbouncer' }, 10_000);
      const pool = (await adminConsole.query('SHOW POOLS')).find((row) => row.database === 'app');
      const wait = (await adminConsole.query('SHOW CONFIG')).find((row) => row.key === 'query_wait_timeout');
      adminConsole.close();
      // THEN the ceiling's 45 server connections are open and idle, and the proxy's wait is armed
      expect(pool).toMatchObject({ sv_idle: '45', sv_active: '0', sv_login: '0', cl_active: '0', cl_waiting: '0' });
      expect(wait?.value).toBe('7');
      standIn.close();
    } finally {
      await keeper.stop();
    }
  });
});

describe('rehearsals of random budgets', () => {
  test('a budget the library accepts never sees a connection refused or timed out', async () => {
    const fleet = fc.record({
      maxConnections: fc.integer({ min: 60, max: 160 }),
      percent: fc.integer({ min: 50, max: 100 }),
      services: fc.array(fc.record({ tasks: fc.integer({ min: 1, max: 4 }), pool: fc.integer({ min: 1, max: 8 }), overflow: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 4 }),
    });
    let rehearsed = 0;
    await fc.assert(fc.asyncProperty(fleet, async (f) => {
      const input = budget(postgresBehindProxy(f.maxConnections, f.percent),
        f.services.map((s, i) => ecsService(`Svc/S${i}`, { maxTasks: s.tasks, pool: s.pool, overflowPerPool: s.overflow })));
      if (evaluateBudget(input).problems.some((p) => p.level === 'error')) return true;
      rehearsed += 1;
      const outcomes = await rehearse(rehearsalPlan(ledgerOf(input)), { waitSeconds: 2, holdMs: 200 });
      return outcomes.every((o) => o.opened === o.requested);
    }), { numRuns: 6, seed: 20261123 });
    expect(rehearsed).toBeGreaterThan(0);
  });
});

test('without PostgreSQL or PgBouncer, the message says how to install them', () => {
  expect(() => findBinaries(true, [])).toThrow(new MissingToolError('a rehearsal needs the PostgreSQL server (initdb, postgres) and PgBouncer, '
    + 'which are not installed. On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root).'));
});
