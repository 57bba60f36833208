import { AllocationChange, AllocationJoin, diffLedgers, LedgerJson } from '../../lib/budget';
import { checkJson, diffJson, reportJson } from '../../lib/cli/render/json';
import { checkMarkdown, DIFF_COMMENT_MARKER, diffMarkdown, reportMarkdown } from '../../lib/cli/render/markdown';
import { CheckResult } from '../../lib/cli/render/summary';
import { checkText, diffText, reportText } from '../../lib/cli/render/text';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from '../budget/fixtures';
import { documentation } from '../helpers/docs';
import { sampleLedger } from './fixtures';

// base: ceiling 495; Api 10 tasks × 200 % × pool 10 = 200; Worker 2 tasks × 200 % × (5 + 2) = 28.
const base = sampleLedger(10);
const head = sampleLedger(12, [ecsService('Web/Extra', { maxTasks: 1, pool: 3 })]);
const diff = diffLedgers([base], [head]);
const plain = { color: false };

/** A budget of one worker whose pools may open `overflowPerPool` connections above `pool` (ceiling 495). */
function workerLedger(pool: number, overflowPerPool: number): LedgerJson {
  return ledgerOf(budget(postgresBehindProxy(1000, 50), [ecsService('Jobs/Worker', { maxTasks: 2, pool, overflowPerPool })]));
}

/**
 * A change of capacity alone: max_connections 1000 → 1200 and the proxy's 50 % → 45 % (ceiling 495 → 540 − 5 − 5 = 530),
 * 'bi' removed, 'admin' added through the proxy, 'migrations' 10 → 20. The derived pool of Api's 20 tasks follows: 24 → 26.
 */
const api = ecsService('Web/Api', { maxTasks: 10, pool: { kind: 'share', weight: 1, min: 1, max: 50 } });
const capacityBase = ledgerOf(budget(postgresBehindProxy(1000, 50, { reservations: [{ name: 'bi', connections: 3 }, { name: 'migrations', connections: 10 }] }), [api]));
const capacityHead = ledgerOf(budget(postgresBehindProxy(1200, 45, {
  reservations: [{ name: 'admin', connections: 5, throughProxy: true }, { name: 'migrations', connections: 20 }],
}), [api]));
const capacityDiff = diffLedgers([capacityBase], [capacityHead]);

/** The `"label" : value` slices of the Mermaid pies in a Markdown text. */
function pieSlices(markdown: string): Array<[string, number]> {
  return [...markdown.matchAll(/^ {4}"(.+)" : (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
}

describe('text', () => {
  test('the report shows the capacity arithmetic, and each consumer\'s worst case as a bar against the ceiling', () => {
    expect(reportText([base], plain)).toBe([
      'Connection budget Data/Budget (RDS for PostgreSQL)',
      '  ceiling 495: max_connections 1000 (parameter group \'Data/Params\') × 50 % = 500, less 5 kept by RDS Proxy',
      '  kept free: migrations 10, engine reserve 5',
      '  worst case 228 of 495 (46.1 %), headroom 267, steady 114',
      '  new tasks open at most 12 connections at start (largest: \'Web/Api\' 10, \'Jobs/Worker\' 2; minimum idle 1 per pool)',
      '',
      '  CONSUMER     KIND         POOL  PEAK  WORST CASE  SHARE OF CEILING',
      '  Jobs/Worker  ecs-service   5+2     4          28  █░░░░░░░░░░░░░░░░░░░  5.7 %',
      '  Web/Api      ecs-service    10    20         200  ████████░░░░░░░░░░░░  40.4 %',
      '  headroom                                     267  ███████████░░░░░░░░░  53.9 %',
      '',
      '1 budget, 2 consumers: worst case 228 of 495 (46.1 %), headroom 267; no errors, no warnings.',
      '',
    ].join('\n'));
  });

  test('the report lists problems with their level, and a summary over several budgets names the least headroom', () => {
    const tight: LedgerJson = { ...sampleLedger(22), budgetPath: 'Other/Budget' };
    const text = reportText([base, tight], plain);
    expect(text).toContain('  warning CB-NEAR-CAPACITY: ConnectionBudget \'Data/Budget\'');
    expect(text).toMatch(/\n2 budgets, 4 consumers; least headroom 27 \('Other\/Budget'\); no errors, 1 warning\.\n$/);
  });

  test('the diff gives each consumer\'s change, before → after, then the totals and a summary line', () => {
    expect(diffText(diff, plain)).toBe([
      'Key: ~ changed, + added, - removed',
      '',
      '~ Connection budget Data/Budget',
      '    ~  Web/Api    +40  (200 → 240)',
      '        10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks → 12 tasks (autoscaling maximum) × 200 % rolling surge = 24 tasks',
      '    +  Web/Extra   +6  (none → 6)',
      '        pool 3, 1 task (autoscaling maximum) × 200 % rolling surge = 2 tasks',
      '    worst case   +46 (228 → 274)',
      '    headroom     267 → 221',
      '    ceiling      495',
      '    utilization  46.1 % → 55.4 %',
      '',
      '1 of 1 budget changed (1 consumer changed, 1 consumer added): worst case +46 (228 → 274), headroom 267 → 221.',
      '',
    ].join('\n'));
  });

  test('the diff names what a new or a resolved problem is about', () => {
    const [fits, tight] = [sampleLedger(10), sampleLedger(22)];
    const warning = tight.problems[0];
    expect(diffText(diffLedgers([fits], [tight]), plain)).toContain(`\n    new warning CB-NEAR-CAPACITY: ${warning.message} ${warning.fix}\n`);
    expect(diffText(diffLedgers([tight], [fits]), plain)).toContain('\n    resolved warning CB-NEAR-CAPACITY of Data/Budget\n');
    expect(diffMarkdown(diffLedgers([tight], [fits]), [fits])).toContain('\n- ✅ resolved warning **CB-NEAR-CAPACITY** of Data/Budget\n');
  });

  test('the summary says a budget is new (a first deployment) or gone, and among changed budgets which are', () => {
    const last = (text: string) => text.trimEnd().split('\n').at(-1);
    expect(last(diffText(diffLedgers([], [base]), plain))).toBe(`1 of 1 budget added (2 consumers added): worst case +${base.totals.demand} (0 → ${base.totals.demand}), `
      + `headroom none → ${base.totals.headroom}.`);
    expect(last(diffText(diffLedgers([base], []), plain))).toMatch(/^1 of 1 budget removed \(2 consumers removed\): /);
    const other = { ...head, budgetPath: 'Other/Budget' };
    expect(last(diffText(diffLedgers([base], [head, other]), plain))).toMatch(/^2 of 2 budgets changed \(1 budget added, 1 consumer changed, 4 consumers added\): /);
  });

  test('resolved problems of one level, ID and subject take one line, with how many they were', () => {
    const [fits, tight] = [sampleLedger(10), sampleLedger(22)];
    const twice = { ...tight, problems: [tight.problems[0], { ...tight.problems[0], message: `${tight.problems[0].message} (again)` }] };
    expect(diffText(diffLedgers([twice], [fits]), plain)).toContain('\n    resolved warning CB-NEAR-CAPACITY of Data/Budget (2 of them)\n');
    expect(diffMarkdown(diffLedgers([twice], [fits]), [fits])).toContain('\n- ✅ resolved warning **CB-NEAR-CAPACITY** of Data/Budget (2 of them)\n');
  });

  test('the diff shows a warning still open with its new figures once, not as new and resolved', () => {
    const [before, after] = [sampleLedger(21), sampleLedger(22)];
    expect([before, after].map((l) => l.problems.map((p) => p.id))).toEqual([['CB-NEAR-CAPACITY'], ['CB-NEAR-CAPACITY']]);
    const text = diffText(diffLedgers([before], [after]), plain);
    const warning = after.problems[0];
    expect(text.split('\n').filter((line) => line.includes('CB-NEAR-CAPACITY'))).toEqual([`    still a warning CB-NEAR-CAPACITY, now: ${warning.message} ${warning.fix}`]);
  });

  test('the diff shows a pool with overflow as the report does', () => {
    const diffOfWorker = diffLedgers([workerLedger(5, 2)], [workerLedger(4, 3)]);
    expect(diffText(diffOfWorker, plain).split('\n').slice(3, 5)).toEqual([
      '    ~  Jobs/Worker  0  (28 → 28)',
      '        pool 5+2 → 4+3 (DB_POOL_MAX, DB_POOL_MAX_OVERFLOW)',
    ]);
  });

  test('the diff names what moved the ceiling, before the pools derived from it', () => {
    expect(diffText(capacityDiff, plain)).toBe([
      'Key: ~ changed, + added, - removed',
      '',
      '~ Connection budget Data/Budget',
      '    ~  max_connections              1000 (parameter group \'Data/Params\') → 1200 (parameter group \'Data/Params\')',
      '    ~  proxy MaxConnectionsPercent  50 % → 45 %',
      '    +  reservation \'admin\'          none → 5 (through the proxy)',
      '    -  reservation \'bi\'             3 → none',
      '    ~  reservation \'migrations\'     10 → 20',
      '    ~  Web/Api  +40  (480 → 520)',
      '        pool 24 → 26 (DB_POOL_MAX)',
      '    worst case   +40 (480 → 520)',
      '    headroom     15 → 10',
      '    ceiling      495 → 530',
      '    utilization  97 % → 98.1 %',
      '',
      '1 of 1 budget changed (1 consumer changed): worst case +40 (480 → 520), headroom 15 → 10.',
      '',
    ].join('\n'));
  });

  test('the documentation shows these cause lines', () => {
    const readme = documentation();
    const example = /```text\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('**What moved the ceiling.**')))![1];
    expect(example).toMatch(/^~ Connection budget Data\/Budget\n/);
    expect(diffText(capacityDiff, plain)).toContain(example);
  });

  test('a diff without change says so', () => {
    expect(diffText(diffLedgers([base], [base]), plain)).toBe('Key: ~ changed, + added, - removed\n\nUnchanged: Data/Budget\n\nNo connection budget changed (1 budget compared).\n');
  });

  test('check lists each crossed guardrail and a verdict', () => {
    const text = checkText({ head: [head], guardrails: ['no budget errors', 'utilization at most 50 %'], violations: [{ id: 'CB-CHECK-MAX-UTILIZATION', budgetPath: 'Data/Budget', message: 'too full.' }] }, plain);
    expect(text).toBe('1 budget, 3 consumers: worst case 274 of 495 (55.4 %), headroom 221; no errors, no warnings.\n\nx CB-CHECK-MAX-UTILIZATION \'Data/Budget\': too full.\nFailed: 1 guardrail violation.\n');
    expect(checkText({ head: [head], guardrails: ['no budget errors'], violations: [] }, plain)).toMatch(/\nPassed: no budget errors\.\n$/);
  });

  test('colour wraps the same text in ANSI styles', () => {
    const coloured = reportText([base], { color: true });
    expect(coloured).toContain('\u001b[1mConnection budget Data/Budget (RDS for PostgreSQL)\u001b[22m');
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(reportText([base], plain));
  });
});

describe('markdown', () => {
  test('the report has a table per budget and a Mermaid pie whose slices add up to the ceiling', () => {
    const markdown = reportMarkdown([base]);
    expect(markdown).toContain('| `Web/Api` | ecs-service | 10 | 20 | 200 | 40.4 % |');
    expect(markdown).toContain('| **Headroom** | | | | **267** | 53.9 % |');
    expect(markdown).toContain('```mermaid\npie showData\n    title Worst case of Data/Budget (ceiling 495)\n');
    const slices = pieSlices(markdown);
    expect(slices).toEqual([['Jobs/Worker', 28], ['Web/Api', 200], ['headroom', 267]]);
    expect(slices.reduce((n, [, v]) => n + v, 0)).toBe(495);
  });

  test('the diff lists a warning still open with its new figures once', () => {
    const [before, after] = [sampleLedger(21), sampleLedger(22)];
    const markdown = diffMarkdown(diffLedgers([before], [after]), [after]);
    expect(markdown.split('\n').filter((line) => line.includes('CB-NEAR-CAPACITY'))).toEqual([
      expect.stringMatching(/^- ⚠️ still a warning \*\*CB-NEAR-CAPACITY\*\*, now: ConnectionBudget 'Data\/Budget': /),
    ]);
  });

  test('the diff is a pull-request comment: marker, summary, change table, totals and the allocation after', () => {
    const markdown = diffMarkdown(diff, [head]);
    expect(markdown.split('\n')[0]).toBe(DIFF_COMMENT_MARKER);
    expect(markdown).toContain('**1 of 1 budget changed (1 consumer changed, 1 consumer added): worst case +46 (228 → 274), headroom 267 → 221.**');
    expect(markdown).toContain('| ~ | `Web/Api` | +40 (200 → 240) | 10 | 20 → 24 |');
    expect(markdown).toContain('| + | `Web/Extra` | +6 (none → 6) | none → 3 | none → 2 |');
    expect(markdown).toContain('| **Headroom** | 267 | 221 | -46 |');
    expect(markdown).toContain('| Utilization | 46.1 % | 55.4 % | +9.3 pts |');
    expect(pieSlices(markdown)).toEqual([['Jobs/Worker', 28], ['Web/Api', 240], ['Web/Extra', 6], ['headroom', 221]]);
  });

  test('the pool column shows a pool with overflow as the report does', () => {
    expect(reportMarkdown([workerLedger(5, 2)])).toContain('| `Jobs/Worker` | ecs-service | 5+2 | 4 | 28 |');
    const resized = diffMarkdown(diffLedgers([workerLedger(5, 2)], [workerLedger(4, 3)]), [workerLedger(4, 3)]);
    expect(resized).toContain('| ~ | `Jobs/Worker` | 0 (28 → 28) | 5+2 → 4+3 | 4 | pool 5+2 → 4+3 (DB_POOL_MAX, DB_POOL_MAX_OVERFLOW) |');
    const empty = ledgerOf(budget(postgresBehindProxy(1000, 50), []));
    const added = diffMarkdown(diffLedgers([empty], [workerLedger(5, 2)]), [workerLedger(5, 2)]);
    expect(added).toContain('| + | `Jobs/Worker` | +28 (none → 28) | none → 5+2 | none → 4 | pool 5+2, 2 tasks (autoscaling maximum) × 200 % rolling surge = 4 tasks |');
  });

  test('the diff has a table of what moved the ceiling, before the consumers', () => {
    expect(diffMarkdown(capacityDiff, [capacityHead])).toContain([
      '### ~ `Data/Budget`',
      '',
      '| | Capacity | Before | After |',
      '|---|---|---|---|',
      '| ~ | max_connections | 1000 (parameter group \'Data/Params\') | 1200 (parameter group \'Data/Params\') |',
      '| ~ | proxy MaxConnectionsPercent | 50 % | 45 % |',
      '| + | reservation \'admin\' | none | 5 (through the proxy) |',
      '| - | reservation \'bi\' | 3 | none |',
      '| ~ | reservation \'migrations\' | 10 | 20 |',
      '',
      '| | Consumer | Worst case | Pool | Peak instances | What changed |',
      '|---|---|--:|--:|--:|---|',
      '| ~ | `Web/Api` | +40 (480 → 520) | 24 → 26 | 20 | pool 24 → 26 (DB_POOL_MAX) |',
      '',
      '| | Before | After | Change |',
      '|---|--:|--:|--:|',
      '| **Worst case** | 480 | 520 | +40 |',
      '| **Headroom** | 15 | 10 | -5 |',
      '| Ceiling | 495 | 530 | +35 |',
      '| Utilization | 97 % | 98.1 % | +1.1 pts |',
      '',
    ].join('\n'));
  });

  test('table cells and Mermaid labels are escaped', () => {
    const odd: LedgerJson = { ...base, consumers: base.consumers.map((c) => ({ ...c, path: `${c.path}|"x"` })) };
    const markdown = reportMarkdown([odd]);
    expect(markdown).toContain('| `Web/Api\\|"x"` |');
    expect(markdown).toContain('    "Web/Api|\'x\'" : 200');
  });
});

describe('json', () => {
  test('the report carries the ledgers under a versioned envelope with sorted keys', () => {
    const output = JSON.parse(reportJson([base]));
    expect(Object.keys(output)).toEqual(['budgets', 'schema', 'schemaVersion', 'summary']);
    expect(output).toMatchObject({ schema: 'cdk-connection-budget/report', schemaVersion: 1 });
    expect(output.budgets).toEqual([base]);
  });

  test('the diff and check envelopes carry the diff', () => {
    const diffOutput = JSON.parse(diffJson(diff));
    expect(diffOutput.schema).toBe('cdk-connection-budget/diff');
    expect(diffOutput.diff.budgets[0].demand).toEqual({ after: 274, before: 228 });
    const check = JSON.parse(checkJson({ head: [head], diff, guardrails: ['no budget errors'], violations: [] }));
    expect(check).toMatchObject({ schema: 'cdk-connection-budget/check', passed: true, violations: [], guardrails: ['no budget errors'] });
    expect(check.diff.demandDelta).toBe(46);
  });

  test('the diff lists what moved the ceiling under causes, in the arithmetic\'s order', () => {
    const json = diffJson(capacityDiff);
    expect(JSON.parse(json).diff.budgets[0].causes.map((c: { kind: string; name?: string; status: string }) => [c.kind, c.name ?? null, c.status])).toEqual([
      ['max-connections', null, 'changed'],
      ['proxy-max-connections-percent', null, 'changed'],
      ['reservation', 'admin', 'added'],
      ['reservation', 'bi', 'removed'],
      ['reservation', 'migrations', 'changed'],
    ]);
    expect(json).toContain([
      '        "causes": [',
      '          {',
      '            "after": {',
      '              "basis": "parameter group \'Data/Params\'",',
      '              "origin": "parameter group \'Data/Params\'",',
      '              "source": "parameter-group",',
      '              "value": 1200',
      '            },',
      '            "before": {',
      '              "basis": "parameter group \'Data/Params\'",',
      '              "origin": "parameter group \'Data/Params\'",',
      '              "source": "parameter-group",',
      '              "value": 1000',
      '            },',
      '            "kind": "max-connections",',
      '            "status": "changed"',
      '          },',
      '          {',
      '            "after": {',
      '              "derived": false,',
      '              "maxConnectionsPercent": 45',
      '            },',
      '            "before": {',
      '              "derived": false,',
      '              "maxConnectionsPercent": 50',
      '            },',
      '            "kind": "proxy-max-connections-percent",',
      '            "status": "changed"',
      '          },',
      '          {',
      '            "after": {',
      '              "connections": 5,',
      '              "throughProxy": true',
      '            },',
      '            "before": null,',
      '            "kind": "reservation",',
      '            "name": "admin",',
      '            "status": "added"',
      '          },',
    ].join('\n'));
  });
});

describe('names are escaped for each output', () => {
  // Everything a name could try in one: colour, overwriting the line, reversing it, closing a code span, ending a table
  // cell, HTML, a link, a mention, and a line of its own.
  const HOSTILE = '\u001b[31mX\u001b[0m\r\u202e`|<img src=x onerror=alert(1)>[x](http://evil) @org/team\nforged';
  // eslint-disable-next-line no-control-regex
  const UNSHOWN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

  /**
   * A budget, its parameter group, a reservation, a consumer and its task count's basis, all named HOSTILE; then, as an
   * edited template could give them, its consumers' kind and its problems' IDs.
   */
  function hostileLedger(maxTasks: number, reserved: number): LedgerJson {
    const ledger = ledgerOf(budget(postgresBehindProxy(1000, 50, {
      instances: [{ path: 'Data/Db', parameterGroupMaxConnections: 1000, parameterGroupPath: `Data/${HOSTILE}` }],
      reservations: [{ name: `bi ${HOSTILE}`, connections: reserved }],
    }), [ecsService(`Web/${HOSTILE}`, { maxTasks, pool: 10, maxTasksBasis: `basis ${HOSTILE}` })], { path: `Data/${HOSTILE}` }));
    return {
      ...ledger,
      // The parser takes any text for a kind; the type names the ones the library writes.
      consumers: ledger.consumers.map((c) => ({ ...c, kind: `${c.kind} ${HOSTILE}` as never })),
      problems: ledger.problems.map((p) => ({ ...p, id: `${p.id} ${HOSTILE}` })),
    };
  }
  // 23 tasks × 200 % × pool 10 = 460 of a ceiling of 495: a warning whose message names the budget.
  const hostileBase = hostileLedger(10, 3);
  const hostileHead = hostileLedger(23, 5);
  const hostileDiff = diffLedgers([hostileBase], [hostileHead]);
  const team = { budgetPath: `Team/${HOSTILE}`, synthesizedWith: 100, demand: 80, reserved: 0, pending: false };
  const allocations: AllocationJoin = {
    granted: [{ owningBudgetPath: `Data/${HOSTILE}`, name: `orders ${HOSTILE}`, allocated: 100, recordFile: `records/${HOSTILE}.json`, teams: [team], used: 80, headroom: 20 }],
    ownerNotGiven: [{ ...team, owningBudgetPath: `Other/${HOSTILE}`, allocationName: `billing ${HOSTILE}` }],
    problems: [],
  };
  const allocationChanges: AllocationChange[] = [{ owningBudgetPath: `Data/${HOSTILE}`, name: `orders ${HOSTILE}`, status: 'changed', allocated: { before: 100, after: 120 }, used: { before: 80, after: 80 } }];
  const check: CheckResult = {
    head: [hostileHead], diff: hostileDiff, allocations, guardrails: ['no budget errors'],
    violations: [{ id: 'CB-CHECK-MAX-UTILIZATION', budgetPath: `Data/${HOSTILE}`, message: `too full: ${HOSTILE}` }],
  };

  test('the hostile ledger has every name in it, and a warning that names the budget', () => {
    expect(hostileHead.problems.map((p) => p.message).join()).toContain(HOSTILE);
    expect(hostileDiff.budgets[0].causes.some((c) => c.kind === 'reservation')).toBe(true);
  });

  test.each<[string, () => string]>([
    ['report', () => reportText([hostileHead], plain, allocations)],
    ['diff', () => diffText(hostileDiff, plain, allocationChanges)],
    ['check', () => checkText(check, plain)],
  ])('the terminal %s prints every name on its own line, written out', (_name, render) => {
    const text = render();
    expect(text).not.toMatch(UNSHOWN);
    expect(text).not.toMatch(/^forged/m);
    expect(text).toContain('Data/\\x1b[31mX\\x1b[0m\\r\\u202e`|<img src=x onerror=alert(1)>[x](http://evil) @org/team\\nforged');
  });

  test('with colour, the only escapes are the report\'s own styles', () => {
    const coloured = reportText([hostileHead], { color: true }, allocations);
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[(1|2|22|31|32|33|39)m/g, '')).toBe(reportText([hostileHead], plain, allocations));
  });

  /** The Markdown outside code spans (a code span shows HTML, links and mentions as text). */
  function outsideCode(markdown: string): string {
    return markdown.replace(/(?<!\\)(`+)([\s\S]*?[^`])\1(?!`)/g, '');
  }

  test.each<[string, () => string]>([
    ['report', () => reportMarkdown([hostileHead], allocations)],
    ['diff', () => diffMarkdown(hostileDiff, [hostileHead], allocationChanges)],
    ['check', () => checkMarkdown(check)],
  ])('the Markdown %s opens no HTML, link or mention, and every table row keeps its cells', (_name, render) => {
    const markdown = render();
    expect(markdown).not.toMatch(UNSHOWN);
    expect(markdown).not.toMatch(/^forged/m);
    const text = outsideCode(markdown);
    const ours = ['<!-- connection-budget-diff -->', '<sub>', '</sub>', '<details>', '<summary>', '</summary>', '</details>'];
    expect(ours.reduce((rest, tag) => rest.split(tag).join(''), text)).not.toMatch(/(?<!\\)</);
    expect(text).not.toMatch(/(?<!\\)\]\(/);
    expect(text).not.toMatch(/@org/);
    expect(text).not.toMatch(/http:\/\//);
    expect(text).toContain('@&#8203;org/team');
    const tables = markdown.split(/\n(?!\|)/).map((block) => block.split('\n').filter((line) => line.startsWith('|'))).filter((rows) => rows.length > 0);
    expect(tables.length).toBeGreaterThan(0);
    for (const rows of tables) {
      const cells = rows.map((row) => row.split(/(?<!\\)\|/).length);
      expect(cells).toEqual(rows.map(() => cells[0]));
    }
    for (const [label] of pieSlices(markdown)) {
      expect(label).not.toMatch(/["\n]/);
    }
  });

  test('the names in the Markdown report read as they were given', () => {
    const markdown = reportMarkdown([hostileHead], allocations);
    expect(markdown).toContain('### ``Data/\\x1b[31mX\\x1b[0m\\r\\u202e`|<img src=x onerror=alert(1)>[x](http://evil) @org/team\\nforged`` (RDS for PostgreSQL)');
    expect(markdown).toContain('| ``Web/\\x1b[31mX\\x1b[0m\\r\\u202e`\\|<img src=x onerror=alert(1)>[x](http://evil) @org/team\\nforged`` | ecs-service \\\\x1b\\[31mX');
    expect(markdown).toContain('Kept free: bi \\\\x1b\\[31mX\\\\x1b\\[0m\\\\r\\\\u202e\\`\\|\\<img src=x onerror=alert(1)\\>\\[x\\](http:&#8203;//evil) @&#8203;org/team\\\\nforged 5');
  });

  test('JSON keeps every name exact, and its text holds nothing a terminal acts on; the summary reads as the text report\'s', () => {
    for (const json of [reportJson([hostileHead], allocations), diffJson(hostileDiff, allocationChanges), checkJson(check)]) {
      expect(json.replace(/\n/g, '')).not.toMatch(UNSHOWN);
      const output = JSON.parse(json);
      expect(output.summary).not.toMatch(UNSHOWN);
      expect(JSON.stringify(output)).toContain(JSON.stringify(`Data/${HOSTILE}`));
    }
    expect(JSON.parse(reportJson([hostileHead], allocations)).budgets).toEqual([hostileHead]);
    // Over several budgets the summary names the one with the least headroom.
    expect(JSON.parse(reportJson([base, hostileHead])).summary).toContain('least headroom 35 (\'Data/\\x1b[31mX\\x1b[0m\\r\\u202e');
  });
});

describe('a budget that starts deploying in waves', () => {
  const services = [ecsService('Web/Api', { maxTasks: 10, pool: 10 }), ecsService('Web/Worker', { maxTasks: 4, pool: 5 })];
  const parallel = ledgerOf(budget(postgresBehindProxy(400, 60), services));
  const waves = ledgerOf(budget(postgresBehindProxy(400, 60), services.map((c) => ({ ...c, wave: { chain: 'Web/Api', service: c.path } }))));
  const diff = diffLedgers([parallel], [waves]);

  test('the text diff shows the credit, the surge that counts, and each consumer joining the chain', () => {
    const text = diffText(diff, { color: false });
    expect(text).toMatch(/worst case\s+-20 \(240 → 220\)/);
    expect(text).toMatch(/saved by waves\s+0 → 20/);
    expect(text).toMatch(/largest surge\s+none → 'Web\/Api' 100/);
    expect(text).toContain("deploys with the others → in the chain of 'Web/Api'");
  });

  test('the Markdown diff shows the same rows', () => {
    const markdown = diffMarkdown(diff, [waves]);
    expect(markdown).toContain('| Saved by deploying in waves | 0 | 20 | +20 |');
    expect(markdown).toContain("| Largest surge | none | 'Web/Api' 100 | |");
  });

  test('the report says what waves save', () => {
    expect(reportText([waves], { color: false })).toContain("  deploying in waves saves 20 connections, largest surge 'Web/Api' 100\n");
    expect(reportMarkdown([waves])).toContain("Deploying in waves saves 20 connections, largest surge 'Web/Api' 100.");
  });
});
