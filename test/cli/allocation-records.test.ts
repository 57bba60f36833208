import * as fs from 'fs';
import * as path from 'path';
import { USAGE } from '../../lib/cli/usage';
import { ordersRecord, synthOwner, synthTeam } from './apps';
import { directoryWith, run } from './fixtures';

// A team's app checked against the owning app's live allocation record (--allocation-record) instead of its assembly. The
// team's app (Orders/Budget) was given 120 connections as attributes and runs Orders/Api: a worst case of 100.
const team = synthTeam();
const owner = synthOwner(120);

/** A record file as `aws ssm get-parameter ... --output text` writes it: the value and a newline. */
const record = (connections: number, changes: Record<string, unknown> = {}) => `${ordersRecord(connections, changes)}\n`;

const records = directoryWith({
  'fits.json': record(120),
  'grown.json': record(130),
  'shrunk.json': record(80),
  'billing.json': record(30, { allocation: 'billing' }),
  'not-json.txt': 'An error occurred (ParameterNotFound)',
  'other-kind.json': { kind: 'something-else' },
  'newer.json': record(120, { schemaVersion: 2 }),
  'invalid.json': record(-1, { engine: 'oracle' }),
});
const file = (name: string) => path.join(records, name);

afterAll(() => {
  for (const dir of [team, owner, records]) fs.rmSync(dir, { recursive: true, force: true });
});

/** The lines of the text output's Allocations part, up to the blank line that ends it. */
function allocationLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf('Allocations');
  return start < 0 ? [] : lines.slice(start, lines.indexOf('', start));
}

const EXCEEDED = `CB-ALLOCATION-EXCEEDED: ConnectionBudget 'Data/Budget': the allocation 'orders' grants 80 connections (record '${file('shrunk.json')}'), `
  + "but the team budgets that use it can take 100 ('Orders/Budget' 100), 20 more. Lower the worst case of 'Orders/Budget' by 20, or raise the "
  + "allocation 'orders' from 80 to at least 100 in the owning app (its connections in addAllocation).";
const stale = (now: number, name: string) => "CB-ALLOCATION-STALE: ConnectionBudget 'Orders/Budget': was synthesized with the allocation 'orders' of "
  + `'Data/Budget' at 120 connections, but the owning budget now grants ${now} (record '${file(name)}'). Set attributes.connections to ${now} in the `
  + "team's app, where it builds the budget with fromAllocation.";

describe('check with the live record as the owning side', () => {
  test('passes when the team fits the record, and shows the record where the owning budget would be', () => {
    const result = run(['check', team, '--allocation-record', file('fits.json')]);
    expect(result.code).toBe(0);
    // Spaces squeezed: the columns' width follows the temporary directory's name.
    expect(allocationLines(result.stdout).map((line) => line.replace(/ +/g, ' '))).toEqual([
      'Allocations',
      ' ALLOCATION OWNING BUDGET ALLOCATED USED HEADROOM TEAMS (WORST CASE)',
      ` orders Data/Budget (record ${file('fits.json')}) 120 100 20 Orders/Budget 100`,
    ]);
    expect(result.stdout).toContain('\nPassed: no budget errors.\n');
  });

  test('fails when the team\'s worst case exceeds the record, and names the figure it was synthesized with as stale', () => {
    const result = run(['check', team, '--allocation-record', file('shrunk.json')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`\n  warning ${stale(80, 'shrunk.json')}\n\nx CB-CHECK-BUDGET-ERRORS 'Data/Budget': ${EXCEEDED}\nFailed: 1 guardrail violation.\n`);
  });

  test('a record that grew passes with the stale warning; --strict fails on it', () => {
    const result = run(['check', team, '--allocation-record', file('grown.json')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`  warning ${stale(130, 'grown.json')}\n`);
    expect(run(['check', team, '--allocation-record', file('grown.json'), '--strict']).stdout)
      .toContain(`x CB-CHECK-WARNINGS 'Orders/Budget': ${stale(130, 'grown.json')}\nFailed: 1 guardrail violation.\n`);
  });

  test('markdown names the record beside the owning budget; json carries its file', () => {
    const markdown = run(['check', team, '--allocation-record', file('shrunk.json'), '--format', 'markdown']).stdout;
    expect(markdown).toContain(`| \`orders\` | \`Data/Budget\` (record \`${file('shrunk.json')}\`) | 80 | 100 | **-20** | Orders/Budget 100 |\n`);
    const json = JSON.parse(run(['check', team, '--allocation-record', file('shrunk.json'), '--format', 'json']).stdout);
    expect(json.allocations.granted).toEqual([{
      owningBudgetPath: 'Data/Budget', name: 'orders', allocated: 80, used: 100, headroom: -20, recordFile: file('shrunk.json'),
      teams: [{ budgetPath: 'Orders/Budget', synthesizedWith: 120, demand: 100, reserved: 0, pending: false }],
    }]);
  });

  test('report joins the record too, and fails on the excess', () => {
    const result = run(['report', team, '--allocation-record', file('shrunk.json')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`  error ${EXCEEDED}\n`);
  });

  test('a record of another allocation joins no team: the team is listed with its owner not given, the record as unused', () => {
    const result = run(['check', team, '--allocation-record', file('billing.json')]);
    expect(result.code).toBe(0);
    expect(allocationLines(result.stdout).slice(3)).toEqual(["  owner not given: Orders/Budget takes 100 from 'orders' of Data/Budget (synthesized with 120)"]);
    expect(result.stdout).toContain(`  warning CB-ALLOCATION-UNUSED: ConnectionBudget 'Data/Budget': the allocation 'billing' grants 30 connections (record '${file('billing.json')}'), `
      + 'but no team budget among the assemblies read uses it.');
  });
});

test('--help says how to get a record and what it does', () => {
  expect(USAGE).toContain('  aws ssm get-parameter --name /connection-budget/<owning budget path>/allocations/<name> \\\n'
    + '    --query Parameter.Value --output text > orders.json\n');
  expect(USAGE).toContain('  --allocation-record FILE      report, check: an allocation record (JSON, as the owning app publishes it in SSM) that\n'
    + '                                grants its allocation in place of the owning app\'s assembly; repeat it for several\n');
});

describe('records that cannot be used: exit 2 with the reason', () => {
  const refused = (files: string[], message: string, command = 'check') => {
    const result = run([command, team, ...files.flatMap((f) => ['--allocation-record', f])]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `connection-budget: ${message}\n` });
  };

  test('a record of an owning budget whose assembly is read too', () => {
    const result = run(['check', owner, team, '--allocation-record', file('fits.json')]);
    expect(result).toEqual({
      code: 2, stdout: '',
      stderr: `connection-budget: the allocation record file '${file('fits.json')}' holds the allocation 'orders' of 'Data/Budget', whose owning budget is among `
        + 'the assemblies read: its ledger already says what it grants. Pass the owning app\'s assembly or the record, not both.\n',
    });
  });

  test('two records of one allocation', () => {
    refused([file('fits.json'), file('shrunk.json')],
      `'${file('fits.json')}' and '${file('shrunk.json')}' both hold the allocation 'orders' of 'Data/Budget'; pass one record per allocation.`);
  });

  test('a file that does not exist', () => {
    refused([file('missing.json')],
      `cannot read the allocation record file '${file('missing.json')}': ENOENT: no such file or directory, open '${file('missing.json')}'`, 'report');
  });

  test('what get-parameter prints when it fails, not a record', () => {
    refused([file('not-json.txt')], `the allocation record file '${file('not-json.txt')}' does not hold JSON (it starts "An error occurred (ParameterNotFound)"); `
      + 'it must hold an allocation record written by addAllocation.');
  });

  test('JSON of another kind, a newer version, invalid fields', () => {
    refused([file('other-kind.json')], `the allocation record file '${file('other-kind.json')}' does not hold an allocation record (no "kind": "connection-budget-allocation").`);
    refused([file('newer.json')], `the allocation record file '${file('newer.json')}' holds an allocation record of version 2, but this connection-budget reads `
      + 'version 1; use the library version the owning app uses.');
    refused([file('invalid.json')], `the allocation record file '${file('invalid.json')}' holds an allocation record that is not valid: connections must be a `
      + 'whole number from 0 to 262143, got -1; engine must be one of rds-postgresql, rds-mysql, rds-mariadb, aurora-postgresql, aurora-mysql, got "oracle".');
  });

  test('diff does not take records: it compares two revisions of the apps', () => {
    const result = run(['diff', '--base', team, '--head', team, '--allocation-record', file('fits.json')]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'connection-budget: --allocation-record cannot be used with diff.\nRun connection-budget --help for usage.\n' });
  });
});
