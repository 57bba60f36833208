import * as fc from 'fast-check';
import { evaluateBudget, rehearsalPlan } from '../../lib/budget';
import { startKeeper } from '../../lib/cli/rehearse/keeper';
import { rehearse } from '../../lib/cli/rehearse/rehearse';
import { createRunDirectory } from '../../lib/cli/rehearse/run-directory';
import { ADMIN_ROLE, findBinaries, MissingToolError, startStandIn } from '../../lib/cli/rehearse/stand-in';
import { openSession } from '../../lib/cli/rehearse/wire';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from '../budget/fixtures';

// Real PostgreSQL and PgBouncer, from the Debian packages .ci/run installs.
describe('the proxy stand-in', () => {
  test('has every server connection its clients can use open before the first client connects, and waits only then', async () => {
    // GIVEN ceiling floor(100 × 50 %) − 5 = 45 and 4 tasks × 200 % × pool 8 = 64 clients through the proxy
    const plan = rehearsalPlan(ledgerOf(budget(postgresBehindProxy(100, 50), [ecsService('Web/Api', { maxTasks: 4, pool: 8 })])));
    expect(plan.proxyServerConnections).toBe(45);
    const keeper = startKeeper(createRunDirectory());
    try {
      const standIn = await startStandIn(plan, 7, keeper, findBinaries(true));
      // WHEN PgBouncer's console is asked, before any client of the rehearsal connected
      const adminConsole = await openSession({ socket: standIn.target('proxy').socket, user: ADMIN_ROLE, database: 'pgbouncer' }, 10_000);
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

describe('rehearsals of a budget that deploys in waves', () => {
  // Three chained services whose derived pools were sized with the credit: ceiling floor(150 × 100 %) − 5 engine − 5 proxy
  // = 140 holds every service at its most tasks and one surge, not all three surges.
  const input = budget(postgresBehindProxy(150, 100), [
    ecsService('Svc/Api', { maxTasks: 4, pool: { kind: 'share', weight: 2, min: 1, max: 30 } }),
    ecsService('Svc/Worker', { maxTasks: 3, pool: { kind: 'share', weight: 1, min: 1, max: 30 } }),
    ecsService('Svc/Admin', { maxTasks: 1, pool: { kind: 'share', weight: 1, min: 1, max: 30 } }),
  ].map((c) => ({ ...c, wave: { chain: 'Svc/Admin', service: c.path } })));
  const ledger = ledgerOf(input);

  test('is sized with the credit: all three surges at once would not fit', () => {
    expect(ledger.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(ledger.totals.uncreditedDemand).toBeGreaterThan(ledger.totals.ceiling!);
  });

  test.each(['Svc/Api', 'Svc/Worker', 'Svc/Admin'])('the wave of %s, the other services at their most tasks, opens every connection', async (surging) => {
    const plan = rehearsalPlan(ledger, undefined, surging);
    expect(plan.clients.reduce((n, c) => n + c.connections, 0)).toBeLessThanOrEqual(ledger.totals.demand);
    const outcomes = await rehearse(plan, { waitSeconds: 2, holdMs: 200 });
    expect(outcomes.filter((o) => o.opened < o.requested)).toEqual([]);
  });
});

test('without PostgreSQL or PgBouncer, the message says how to install them', () => {
  expect(() => findBinaries(true, [])).toThrow(new MissingToolError('a rehearsal needs the PostgreSQL server (initdb, postgres) and PgBouncer, '
    + 'which are not installed. On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root).'));
});
