import * as fs from 'fs';
import * as path from 'path';
import { synthOwner, synthSample, synthTeam } from './apps';
import { directoryWith, run } from './fixtures';

// Real apps, synthesized. The owning app is the sample (Data/Budget) granting 'orders' 120 connections, or 60; the team's app
// (Orders/Budget) was given 120 as attributes and runs Orders/Api: 5 tasks × 200 % surge × pool 10 = a worst case of 100.
const owner = synthOwner(120);
const shrunk = synthOwner(60);
const team = synthTeam();
const plain = synthSample();
const created = [owner, shrunk, team, plain];

afterAll(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** The lines of the text output's Allocations part, up to the blank line that ends it. */
function allocationLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf('Allocations');
  if (start < 0) return [];
  const end = lines.indexOf('', start);
  return lines.slice(start, end < 0 ? undefined : end);
}

const EXCEEDED = "CB-ALLOCATION-EXCEEDED: ConnectionBudget 'Data/Budget': the allocation 'orders' grants 60 connections, but the team budgets that use it can "
  + "take 100 ('Orders/Budget' 100), 40 more. Lower the worst case of 'Orders/Budget' by 40, or raise the allocation 'orders' from 60 to at least 100 in the "
  + 'owning app (its connections in addAllocation).';
const STALE = "CB-ALLOCATION-STALE: ConnectionBudget 'Orders/Budget': was synthesized with the allocation 'orders' of 'Data/Budget' at 120 connections, but the "
  + "owning budget now grants 60. Set attributes.connections to 60 in the team's app, where it builds the budget with fromAllocation.";

describe('report joins the apps it reads', () => {
  test('each allocation with what it grants, what its teams use and the headroom, after every budget', () => {
    const result = run(['report', owner, team]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Connection budget Data/Budget (RDS for PostgreSQL)\n');
    expect(result.stdout).toContain('Connection budget Orders/Budget (RDS for PostgreSQL)\n');
    expect(allocationLines(result.stdout)).toEqual([
      'Allocations',
      '  ALLOCATION  OWNING BUDGET  ALLOCATED  USED  HEADROOM  TEAMS (WORST CASE)',
      '  orders      Data/Budget          120   100        20  Orders/Budget 100',
    ]);
    expect(result.stdout).toMatch(/\n\n2 budgets, 3 consumers; least headroom 20 \('Orders\/Budget'\); no errors, /);
  });

  test('the order the assemblies are given in changes nothing', () => {
    expect(run(['report', team, owner]).stdout).toBe(run(['report', owner, team]).stdout);
  });

  test('fails when the team can take more than the owning app now grants, and says the team\'s figure is stale', () => {
    const result = run(['report', shrunk, team]);
    expect(result.code).toBe(1);
    expect(allocationLines(result.stdout)).toEqual([
      'Allocations',
      '  ALLOCATION  OWNING BUDGET  ALLOCATED  USED  HEADROOM  TEAMS (WORST CASE)',
      '  orders      Data/Budget           60   100       -40  Orders/Budget 100',
    ]);
    expect(result.stdout).toContain(`\n\n  error ${EXCEEDED}\n  warning ${STALE}\n\n2 budgets, 3 consumers; least headroom 20 ('Orders/Budget'); 1 error, `);
  });

  test('an owner alone shows its allocation, and warns of nothing: it joins no team', () => {
    const result = run(['report', owner]);
    expect(result.code).toBe(0);
    expect(allocationLines(result.stdout)).toEqual([
      'Allocations',
      '  ALLOCATION  OWNING BUDGET  ALLOCATED  USED  HEADROOM  TEAMS (WORST CASE)',
      '  orders      Data/Budget          120     0       120  none',
    ]);
    expect(result.stdout).not.toContain('CB-ALLOCATION-UNUSED');
  });

  test('a team alone is listed with the owner not given, and judged by its own budget only', () => {
    const result = run(['report', team]);
    expect(result.code).toBe(0);
    expect(allocationLines(result.stdout)).toEqual([
      'Allocations',
      "  owner not given: Orders/Budget takes 100 from 'orders' of Data/Budget (synthesized with 120)",
    ]);
  });

  test('an app without allocations has no Allocations part in any format', () => {
    expect(run(['report', plain]).stdout).not.toContain('Allocations');
    expect(run(['report', plain, '--format', 'markdown']).stdout).not.toContain('Allocations');
    expect(JSON.parse(run(['report', plain, '--format', 'json']).stdout)).not.toHaveProperty('allocations');
  });

  test('markdown has an Allocations table with the join\'s problems', () => {
    const result = run(['report', shrunk, team, '--format', 'markdown']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain([
      '### Allocations',
      '',
      '| Allocation | Owning budget | Allocated | Used | Headroom | Teams (worst case) |',
      '|---|---|--:|--:|--:|---|',
      '| `orders` | `Data/Budget` | 60 | 100 | **-40** | Orders/Budget 100 |',
      '',
      `- ❌ error **CB-ALLOCATION-EXCEEDED**: ${EXCEEDED.slice('CB-ALLOCATION-EXCEEDED: '.length)}`,
      `- ⚠️ warning **CB-ALLOCATION-STALE**: ${STALE.slice('CB-ALLOCATION-STALE: '.length)}`,
      '',
    ].join('\n'));
  });

  test('json has the join beside the budgets', () => {
    const output = JSON.parse(run(['report', shrunk, team, '--format', 'json']).stdout);
    expect(output.budgets.map((b: { budgetPath: string }) => b.budgetPath)).toEqual(['Data/Budget', 'Orders/Budget']);
    expect(output.allocations).toEqual({
      granted: [{
        owningBudgetPath: 'Data/Budget', name: 'orders', allocated: 60, used: 100, headroom: -40,
        teams: [{ budgetPath: 'Orders/Budget', synthesizedWith: 120, demand: 100, reserved: 0, pending: false }],
      }],
      ownerNotGiven: [],
      problems: [
        expect.objectContaining({ id: 'CB-ALLOCATION-EXCEEDED', level: 'error', subject: 'Data/Budget' }),
        expect.objectContaining({ id: 'CB-ALLOCATION-STALE', level: 'warning', subject: 'Orders/Budget' }),
      ],
    });
  });
});

describe('check', () => {
  test('fails on a team over its allocation, and names the stale figure it was synthesized with', () => {
    const result = run(['check', shrunk, team]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain([
      'Allocations',
      '  ALLOCATION  OWNING BUDGET  ALLOCATED  USED  HEADROOM  TEAMS (WORST CASE)',
      '  orders      Data/Budget           60   100       -40  Orders/Budget 100',
      '',
      `  warning ${STALE}`,
      '',
      `x CB-CHECK-BUDGET-ERRORS 'Data/Budget': ${EXCEEDED}`,
      'Failed: 1 guardrail violation.',
      '',
    ].join('\n'));
  });

  test('with --strict the join\'s warnings fail too', () => {
    const result = run(['check', shrunk, team, '--strict']);
    expect(result.stdout).toContain(`x CB-CHECK-BUDGET-ERRORS 'Data/Budget': ${EXCEEDED}\nx CB-CHECK-WARNINGS 'Orders/Budget': ${STALE}\nFailed: 2 guardrail violations.\n`);
    const json = JSON.parse(run(['check', shrunk, team, '--strict', '--format', 'json']).stdout);
    expect(json.passed).toBe(false);
    expect(json.violations.map((v: { id: string; message: string }) => `${v.id} ${v.message.split(':')[0]}`)).toEqual([
      'CB-CHECK-BUDGET-ERRORS CB-ALLOCATION-EXCEEDED', 'CB-CHECK-WARNINGS CB-ALLOCATION-STALE',
    ]);
  });

  test('an owner alone passes, also with --strict: its own pipeline joins no team', () => {
    expect(run(['check', owner]).stdout).toContain('\nPassed: no budget errors.\n');
    expect(run(['check', owner, '--strict']).code).toBe(0);
  });

  test('passes when the team fits what the owner grants', () => {
    const result = run(['check', owner, team]);
    expect(result.stdout).toContain('\nPassed: no budget errors.\n');
    expect(result.code).toBe(0);
  });
});

describe('diff across apps', () => {
  const argv = ['diff', '--base', owner, '--base', team, '--head', shrunk, '--head', team];

  test('shows what each allocation grants and its teams use, before → after', () => {
    const result = run(argv);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("    ~  reservation 'allocation:orders'  120 (through the proxy) → 60 (through the proxy)\n");
    expect(allocationLines(result.stdout)).toEqual(['Allocations', '    ~  orders of Data/Budget  allocated 120 → 60  used 100']);
    expect(result.stdout).toContain('\nUnchanged: Orders/Budget\n');
  });

  test('markdown and json carry the same changes', () => {
    expect(run([...argv, '--format', 'markdown']).stdout).toContain('### Allocations\n\n| | Allocation | Allocated | Used |\n|---|---|--:|--:|\n| ~ | orders of Data/Budget | 120 → 60 | 100 |\n');
    expect(JSON.parse(run([...argv, '--format', 'json']).stdout).allocationChanges).toEqual([
      { owningBudgetPath: 'Data/Budget', name: 'orders', status: 'changed', allocated: { before: 120, after: 60 }, used: { before: 100, after: 100 } },
    ]);
  });

  test('no allocation part when the joins are the same', () => {
    const same = run(['diff', '--base', owner, '--base', team, '--head', owner, '--head', team]);
    expect(same.code).toBe(0);
    expect(same.stdout).not.toContain('Allocations');
    expect(JSON.parse(run(['diff', '--base', owner, '--head', owner, '--format', 'json']).stdout)).not.toHaveProperty('allocationChanges');
  });
});

describe('several locations', () => {
  test('the same budget in two of them is an input error naming both files', () => {
    const result = run(['report', owner, shrunk]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `connection-budget: budget 'Data/Budget' has a ledger in both '${path.join(owner, 'Data.template.json')}' (of '${owner}') and `
        + `'${path.join(shrunk, 'Data.template.json')}' (of '${shrunk}'); apps are joined by budget path, so pass each app once, and give budgets in `
        + 'different apps different construct paths.\n',
    });
  });

  test('each location must hold a budget: one without is the wrong directory', () => {
    const empty = directoryWith({ 'Other.json': { Resources: {} } });
    created.push(empty);
    const result = run(['check', owner, empty]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`connection-budget: no connection budget ledger in the 1 template of template directory '${empty}'. `
      + 'Synthesize an app that uses ConnectionBudget or BudgetedDatabase (cdk synth), and pass the directory it wrote.\n');
  });

  test('each location is verified against its own templates', () => {
    // The team's template alone: its budget is checked against the templates beside it, the owner's against its assembly.
    const result = run(['report', owner, path.join(team, 'Orders.template.json')]);
    expect(result.code).toBe(0);
    expect(allocationLines(result.stdout)[2]).toBe('  orders      Data/Budget          120   100        20  Orders/Budget 100');
  });
});
