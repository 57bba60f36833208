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

describe('rehearsals of budgets that deploy in waves', () => {
  test('every wave of a chained budget, one service surging and the others at their most tasks, opens every connection', async () => {
    // Derived pools sized with the credit: the chain holds only one surge, and the rehearsal checks the real database agrees.
    const fleet = fc.record({
      maxConnections: fc.integer({ min: 80, max: 160 }),
      services: fc.array(fc.record({ tasks: fc.integer({ min: 1, max: 4 }), weight: fc.integer({ min: 1, max: 3 }) }), { minLength: 2, maxLength: 4 }),
    });
    let waves = 0;
    await fc.assert(fc.asyncProperty(fleet, async (f) => {
      const input = budget(postgresBehindProxy(f.maxConnections, 100), f.services.map((s, i) => ({
        ...ecsService(`Svc/S${i}`, { maxTasks: s.tasks, pool: { kind: 'share', weight: s.weight, min: 1, max: 30 } }),
        wave: { chain: 'Svc/S0', service: `Svc/S${i}` },
      })));
      if (evaluateBudget(input).problems.some((p) => p.level === 'error')) return true;
      const ledger = ledgerOf(input);
      const largest = rehearsalPlan(ledger);
      expect(largest.clients.reduce((n, c) => n + c.connections, 0)).toBe(ledger.totals.demand);
      // The largest surge, and the last service's when that is another wave.
      const last = `Svc/S${f.services.length - 1}`;
      for (const plan of largest.surging.includes(last) ? [largest] : [largest, rehearsalPlan(ledger, undefined, last)]) {
        waves += 1;
        const outcomes = await rehearse(plan, { waitSeconds: 2, holdMs: 200 });
        if (!outcomes.every((o) => o.opened === o.requested)) return false;
      }
      return true;
    }), { numRuns: 2, seed: 20261128 });
    expect(waves).toBeGreaterThan(0);
  });
});

test('without PostgreSQL or PgBouncer, the message says how to install them', () => {
  expect(() => findBinaries(true, [])).toThrow(new MissingToolError('a rehearsal needs the PostgreSQL server (initdb, postgres) and PgBouncer, '
    + 'which are not installed. On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root).'));
});
