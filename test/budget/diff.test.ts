import * as fc from 'fast-check';
import { CapacityCause, CapacityInput, CHECKS, checkGuardrails, diffLedgers, GUARDRAILS, GuardrailOptions, LedgerJson, MaxConnectionsSide } from '../../lib/budget';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from './fixtures';

// ceiling floor(1000 × 50 %) − 5 = 495.
const capacity = postgresBehindProxy(1000, 50);
const base = ledgerOf(budget(capacity, [
  ecsService('Web/Api', { maxTasks: 10, pool: 10 }),
  ecsService('Web/Admin', { maxTasks: 2, pool: 5 }),
  ecsService('Jobs/Old', { maxTasks: 1, pool: 5 }),
]));
const head = ledgerOf(budget(capacity, [
  ecsService('Web/Api', { maxTasks: 12, pool: 10 }),
  ecsService('Web/Admin', { maxTasks: 2, pool: 5 }),
  ecsService('Jobs/New', { maxTasks: 1, pool: 8 }),
]));

describe('diffLedgers', () => {
  const diff = diffLedgers([base], [head]);
  const budgetChange = diff.budgets[0];

  test('lists added, removed and changed consumers with before and after, unchanged ones left out', () => {
    expect(budgetChange.status).toBe('changed');
    expect(budgetChange.consumers.map((c) => [c.status, c.path, c.before?.demand ?? null, c.after?.demand ?? null, c.demandDelta])).toEqual([
      ['added', 'Jobs/New', null, 16, 16],
      ['removed', 'Jobs/Old', 10, null, -10],
      ['changed', 'Web/Api', 200, 240, 40],
    ]);
    const api = budgetChange.consumers[2];
    expect([api.before?.peakInstances, api.after?.peakInstances]).toEqual([20, 24]);
    expect(api.variables).toEqual([]);
  });

  test('gives totals, headroom and utilization before and after', () => {
    // base 200 + 20 + 10 = 230; head 240 + 20 + 16 = 276.
    expect(budgetChange.demand).toEqual({ before: 230, after: 276 });
    expect(budgetChange.headroom).toEqual({ before: 265, after: 219 });
    expect(budgetChange.ceiling).toEqual({ before: 495, after: 495 });
    expect(budgetChange.utilizationPercent).toEqual({ before: 46.5, after: 55.8 });
    expect(budgetChange.demandDelta).toBe(46);
    expect(diff).toMatchObject({ changed: true, demandDelta: 46, counts: { budgets: { added: 0, removed: 0, changed: 1, unchanged: 0 }, consumers: { added: 1, removed: 1, changed: 1 } } });
  });

  test('lists the delivered variables that changed when only a setting changed', () => {
    const longer = JSON.parse(JSON.stringify(head)) as LedgerJson;
    (longer.consumers[2].poolSettings.variables as Record<string, string>).DB_POOL_ACQUIRE_TIMEOUT_MS = '10000';
    const change = diffLedgers([head], [longer]).budgets[0];
    expect(change.status).toBe('changed');
    expect(change.consumers).toEqual([expect.objectContaining({ path: 'Web/Api', status: 'changed', demandDelta: 0, variables: [{ name: 'DB_POOL_ACQUIRE_TIMEOUT_MS', before: '30000', after: '10000' }] })]);
  });

  test('reports new and resolved problems', () => {
    const tight = ledgerOf(budget(postgresBehindProxy(300, 90), [ecsService('Web/Api', { maxTasks: 13, pool: 10 })]));
    expect(tight.problems.map((p) => p.id)).toEqual(['CB-NEAR-CAPACITY']);
    const change = diffLedgers([base], [tight]).budgets[0];
    expect(change.newProblems.map((p) => p.id)).toEqual(['CB-NEAR-CAPACITY']);
    expect(diffLedgers([tight], [base]).budgets[0].resolvedProblems.map((p) => p.id)).toEqual(['CB-NEAR-CAPACITY']);
  });

  test('a problem still open with other figures is one changed problem, neither new nor resolved', () => {
    // GIVEN ceiling floor(300 × 90 %) − 5 = 265: 13 tasks × 200 % × pool 10 = 260 (98 %), then 12 × 200 % × 10 = 240 (91 %), both past the warning at 90 %
    const tight = ledgerOf(budget(postgresBehindProxy(300, 90), [ecsService('Web/Api', { maxTasks: 13, pool: 10 })]));
    const lessTight = ledgerOf(budget(postgresBehindProxy(300, 90), [ecsService('Web/Api', { maxTasks: 12, pool: 10 })]));
    const [before, after] = [tight, lessTight].map((l) => l.problems.find((p) => p.id === 'CB-NEAR-CAPACITY')!);
    expect(before.message).not.toBe(after.message);
    // WHEN they are compared
    const change = diffLedgers([tight], [lessTight]).budgets[0];
    // THEN the warning is listed once, with both messages
    expect(change.changedProblems).toEqual([{ before, after }]);
    expect([change.newProblems, change.resolvedProblems]).toEqual([[], []]);
    // AND a ledger against itself has none
    expect(diffLedgers([tight], [tight]).budgets[0].changedProblems).toEqual([]);
  });

  test('only a check of one problem per subject pairs, and only one unmatched problem with one: others stay new and resolved', () => {
    const problem = (id: string, message: string, level: 'error' | 'warning' = 'error') => ({ id, level, subject: 'Data/Budget', message, fix: 'Fix it.', acknowledged: false });
    const change = (before: ReturnType<typeof problem>[], after: ReturnType<typeof problem>[]) => {
      const c = diffLedgers([{ ...base, problems: before }], [{ ...base, problems: after }]).budgets[0];
      return [c.newProblems.map((p) => p.message), c.resolvedProblems.map((p) => p.message), c.changedProblems.map((p) => [p.before.message, p.after.message])];
    };
    // The budget's missing templates, one stack before and another after: two problems, not one that moved
    expect(change([problem('CB-TEMPLATES-MISSING', 'Web is missing')], [problem('CB-TEMPLATES-MISSING', 'Jobs is missing')])).toEqual([['Jobs is missing'], ['Web is missing'], []]);
    // The over-capacity error with other figures: one problem
    expect(change([problem('CB-OVER-CAPACITY', 'by 9')], [problem('CB-OVER-CAPACITY', 'by 12')])).toEqual([[], [], [['by 9', 'by 12']]]);
    // Two on one side, one on the other: which one moved is not known
    expect(change([problem('CB-OVER-CAPACITY', 'a'), problem('CB-OVER-CAPACITY', 'b')], [problem('CB-OVER-CAPACITY', 'c')])).toEqual([['c'], ['a', 'b'], []]);
    // A warning that became an error is a new error
    expect(change([problem('CB-NEAR-CAPACITY', 'a', 'warning')], [problem('CB-NEAR-CAPACITY', 'b')])).toEqual([['b'], ['a'], []]);
    // The checks that pair
    expect(CHECKS.filter((c) => c.onePerSubject).map((c) => c.id)).toEqual([
      'CB-RESERVATIONS-EXCEED-CAPACITY', 'CB-OVER-CAPACITY', 'CB-NEAR-CAPACITY', 'CB-SHARES-CAPPED', 'CB-ESTIMATED-MAX-CONNECTIONS', 'CB-PROXY-ABOVE-USABLE',
    ]);
  });

  test('matches budgets by path: an added budget counts from nothing, a removed one down to nothing', () => {
    const other = { ...head, budgetPath: 'Other/Budget' };
    const d = diffLedgers([base], [other]);
    expect(d.budgets.map((b) => [b.budgetPath, b.status, b.demandDelta])).toEqual([['Data/Budget', 'removed', -230], ['Other/Budget', 'added', 276]]);
    expect(d.budgets[1].demand).toEqual({ before: null, after: 276 });
  });

  test('finds no change between a ledger and itself', () => {
    const d = diffLedgers([base], [JSON.parse(JSON.stringify(base))]);
    expect(d.changed).toBe(false);
    expect(d.budgets[0]).toMatchObject({ status: 'unchanged', consumers: [], demandDelta: 0 });
  });

  test('fails when one side has the same budget twice', () => {
    expect(() => diffLedgers([base, base], [head])).toThrow('diffLedgers: budget \'Data/Budget\' appears twice in the base');
  });

  test('demand deltas add up: the budget delta is the sum of its consumers\' deltas', () => {
    const fleet = fc.array(fc.record({ id: fc.integer({ min: 0, max: 6 }), tasks: fc.integer({ min: 0, max: 10 }), pool: fc.integer({ min: 1, max: 10 }) }), { maxLength: 6 });
    const ledgerFor = (entries: Array<{ id: number; tasks: number; pool: number }>) => {
      const unique = [...new Map(entries.map((e) => [e.id, e])).values()];
      return ledgerOf(budget(postgresBehindProxy(5000, 100), unique.map((e) => ecsService(`S/C${e.id}`, { maxTasks: e.tasks, pool: e.pool }))));
    };
    fc.assert(fc.property(fleet, fleet, (before, after) => {
      const change = diffLedgers([ledgerFor(before)], [ledgerFor(after)]).budgets[0];
      return change.demandDelta === change.consumers.reduce((n, c) => n + c.demandDelta, 0);
    }), { numRuns: 300 });
  });

  test('does not modify its inputs', () => {
    const frozen = JSON.stringify([base, head]);
    diffLedgers([base], [head]);
    expect(JSON.stringify([base, head])).toBe(frozen);
  });

  test('a chain that takes the name of a service joining it changes no other consumer: only joining or leaving it does', () => {
    // A chain is named after its first service by path: 'Web/Admin' joining renames it from 'Web/Api'.
    const chained = (path: string, chain: string) => ({ ...ecsService(path, { maxTasks: 2, pool: 5 }), wave: { chain, service: path } });
    const before = ledgerOf(budget(capacity, [chained('Web/Api', 'Web/Api'), chained('Web/Worker', 'Web/Api')]));
    const after = ledgerOf(budget(capacity, [chained('Web/Admin', 'Web/Admin'), chained('Web/Api', 'Web/Admin'), chained('Web/Worker', 'Web/Admin')]));
    expect(diffLedgers([before], [after]).budgets[0].consumers.map((c) => [c.status, c.path])).toEqual([['added', 'Web/Admin']]);
    const left = ledgerOf(budget(capacity, [chained('Web/Api', 'Web/Api'), ecsService('Web/Worker', { maxTasks: 2, pool: 5 })]));
    expect(diffLedgers([before], [left]).budgets[0].consumers.map((c) => [c.status, c.path, c.before?.chain, c.after?.chain]))
      .toEqual([['changed', 'Web/Worker', 'Web/Api', null]]);
  });
});

describe('diffLedgers names what moved the ceiling', () => {
  const migrations = { name: 'migrations', connections: 10 };
  const usual = postgresBehindProxy(1000, 50, { reservations: [migrations] });
  const ledgerWith = (capacity: CapacityInput) => ledgerOf(budget(capacity, [ecsService('Web/Api', { maxTasks: 10, pool: 10 })]));
  const fromParameterGroup = (value: number): MaxConnectionsSide => ({ value, source: 'parameter-group', basis: 'parameter group \'Data/Params\'', origin: 'parameter group \'Data/Params\'' });
  const direct = (connections: number) => ({ connections, throughProxy: false });

  test.each<[string, CapacityInput, CapacityInput, CapacityCause[]]>([
    ['nothing changed: no cause', usual, usual, []],
    ['a reservation added', postgresBehindProxy(1000, 50), usual,
      [{ kind: 'reservation', name: 'migrations', status: 'added', before: null, after: direct(10) }]],
    ['a reservation removed', usual, postgresBehindProxy(1000, 50),
      [{ kind: 'reservation', name: 'migrations', status: 'removed', before: direct(10), after: null }]],
    ['a reservation\'s connections changed', usual, postgresBehindProxy(1000, 50, { reservations: [{ ...migrations, connections: 25 }] }),
      [{ kind: 'reservation', name: 'migrations', status: 'changed', before: direct(10), after: direct(25) }]],
    ['a reservation moved behind the proxy', usual, postgresBehindProxy(1000, 50, { reservations: [{ ...migrations, throughProxy: true }] }),
      [{ kind: 'reservation', name: 'migrations', status: 'changed', before: direct(10), after: { connections: 10, throughProxy: true } }]],
    ['max_connections changed', usual, postgresBehindProxy(1200, 50, { reservations: [migrations] }),
      [{ kind: 'max-connections', status: 'changed', before: fromParameterGroup(1000), after: fromParameterGroup(1200) }]],
    ['max_connections of the same value from another source', usual, { ...usual, maxConnections: 1000 },
      [{ kind: 'max-connections', status: 'changed', before: fromParameterGroup(1000),
        after: { value: 1000, source: 'budget-property', basis: 'the budget\'s maxConnections', origin: 'set on the budget' } }]],
    ['the proxy\'s MaxConnectionsPercent changed', usual, postgresBehindProxy(1000, 60, { reservations: [migrations] }),
      [{ kind: 'proxy-max-connections-percent', status: 'changed', before: { maxConnectionsPercent: 50, derived: false }, after: { maxConnectionsPercent: 60, derived: false } }]],
    // Derived: floor(100 × (1000 − 5 engine reserve − 10 migrations) / 1000) = 98.
    ['the proxy\'s MaxConnectionsPercent now derived by the budget', usual, { ...usual, proxy: { path: 'Data/Proxy', targetsDatabase: true } },
      [{ kind: 'proxy-max-connections-percent', status: 'changed', before: { maxConnectionsPercent: 50, derived: false }, after: { maxConnectionsPercent: 98, derived: true } }]],
    ['several at once, in the arithmetic\'s order and reservations by name', usual,
      postgresBehindProxy(1200, 60, { reservations: [{ name: 'bi10', connections: 1 }, { name: 'bi2', connections: 2 }] }), [
        { kind: 'max-connections', status: 'changed', before: fromParameterGroup(1000), after: fromParameterGroup(1200) },
        { kind: 'proxy-max-connections-percent', status: 'changed', before: { maxConnectionsPercent: 50, derived: false }, after: { maxConnectionsPercent: 60, derived: false } },
        { kind: 'reservation', name: 'bi2', status: 'added', before: null, after: direct(2) },
        { kind: 'reservation', name: 'bi10', status: 'added', before: null, after: direct(1) },
        { kind: 'reservation', name: 'migrations', status: 'removed', before: direct(10), after: null },
      ]],
  ])('%s', (_name, before, after, causes) => {
    const change = diffLedgers([ledgerWith(before)], [ledgerWith(after)]).budgets[0];
    expect(change.causes).toEqual(causes);
    expect(change.status).toBe(causes.length > 0 ? 'changed' : 'unchanged');
  });

  test('reservations do not seem to come and go when max_connections becomes known', () => {
    const unknown: CapacityInput = { ...usual, instances: [{ path: 'Data/Db' }] };
    expect(ledgerWith(unknown).capacity).toBeNull();
    expect(diffLedgers([ledgerWith(unknown)], [ledgerWith(usual)]).budgets[0].causes.map((c) => `${c.kind} ${c.status}`))
      .toEqual(['max-connections added', 'proxy-max-connections-percent added']);
  });
});

describe('checkGuardrails', () => {
  const diff = diffLedgers([base], [head]);
  const ids = (options: GuardrailOptions, withDiff = true) => checkGuardrails({ head: [head], diff: withDiff ? diff : undefined, options }).map((v) => v.id);

  test('the registry lists every guardrail once, in report order', () => {
    expect(GUARDRAILS.map((g) => g.id)).toEqual([
      'CB-CHECK-BUDGET-ERRORS', 'CB-CHECK-MAX-UTILIZATION', 'CB-CHECK-MIN-HEADROOM', 'CB-CHECK-MAX-INCREASE',
      'CB-CHECK-MAX-INCREASE-PERCENT', 'CB-CHECK-WARNINGS', 'CB-CHECK-CHANGED',
    ]);
  });

  test.each<[string, GuardrailOptions, string[]]>([
    ['nothing beyond errors by default', {}, []],
    ['utilization at the threshold passes', { maxUtilizationPercent: 55.8 }, []],
    ['utilization above the threshold fails', { maxUtilizationPercent: 50 }, ['CB-CHECK-MAX-UTILIZATION']],
    ['headroom at the minimum passes', { minHeadroom: 219 }, []],
    ['headroom below the minimum fails', { minHeadroom: 220 }, ['CB-CHECK-MIN-HEADROOM']],
    ['an increase of exactly N passes', { maxIncrease: 46 }, []],
    ['an increase above N fails', { maxIncrease: 45 }, ['CB-CHECK-MAX-INCREASE']],
    ['an increase of exactly P % passes', { maxIncreasePercent: 20 }, []],
    ['an increase above P % fails', { maxIncreasePercent: 19.9 }, ['CB-CHECK-MAX-INCREASE-PERCENT']],
    ['a change fails with failOnChange', { failOnChange: true }, ['CB-CHECK-CHANGED']],
    ['every crossed guardrail is reported', { maxUtilizationPercent: 10, minHeadroom: 1000, maxIncrease: 0, strict: true, failOnChange: true },
      ['CB-CHECK-MAX-UTILIZATION', 'CB-CHECK-MIN-HEADROOM', 'CB-CHECK-MAX-INCREASE', 'CB-CHECK-CHANGED']],
  ])('%s', (_name, options, expected) => {
    expect(ids(options)).toEqual(expected);
  });

  test('guardrails that compare with a base are skipped without one', () => {
    expect(ids({ maxIncrease: 0, maxIncreasePercent: 0, failOnChange: true }, false)).toEqual([]);
  });

  test('messages give the numbers and the threshold', () => {
    const messages = checkGuardrails({ head: [head], diff, options: { maxUtilizationPercent: 50, minHeadroom: 220, maxIncrease: 45, maxIncreasePercent: 10, failOnChange: true } })
      .map((v) => `${v.id} ${v.budgetPath}: ${v.message}`);
    expect(messages).toEqual([
      'CB-CHECK-MAX-UTILIZATION Data/Budget: worst-case utilization 55.8 % (276 of 495) is above --max-utilization 50 %; the most that passes is a worst case of 247.',
      'CB-CHECK-MIN-HEADROOM Data/Budget: headroom 219 (ceiling 495 − worst case 276) is below --min-headroom 220.',
      'CB-CHECK-MAX-INCREASE Data/Budget: worst case rises by 46 (230 → 276), more than --max-increase 45.',
      'CB-CHECK-MAX-INCREASE-PERCENT Data/Budget: worst case rises by 20 % (230 → 276), more than --max-increase-percent 10 %.',
      'CB-CHECK-CHANGED Data/Budget: the budget changed (3 consumers added, removed or changed; worst case 230 → 276).',
    ]);
  });

  test('a new budget (a stage\'s first deployment) is judged by utilization and headroom, not by its increase over nothing', () => {
    const added = diffLedgers([], [head]);
    expect(checkGuardrails({ head: [head], diff: added, options: { maxIncrease: 0, maxIncreasePercent: 25 } })).toEqual([]);
    expect(checkGuardrails({ head: [head], diff: added, options: { maxIncreasePercent: 25, maxUtilizationPercent: 50 } }).map((v) => v.id))
      .toEqual(['CB-CHECK-MAX-UTILIZATION']);
    const fromZero = diffLedgers([ledgerOf(budget(postgresBehindProxy(1000, 50), []))], [head]);
    expect(checkGuardrails({ head: [head], diff: fromZero, options: { maxIncreasePercent: 1000 } }).map((v) => v.message))
      .toEqual(['worst case rises from 0 to 276, more than --max-increase-percent 1000 %.']);
  });

  test('an unknown ceiling fails the thresholds that need it', () => {
    const unknown = ledgerOf(budget({ engine: 'rds-postgresql', instances: [{ path: 'Data/Db' }], reservations: [] }, [ecsService('Web/Api', { maxTasks: 1 })]));
    expect(checkGuardrails({ head: [unknown], options: { maxUtilizationPercent: 90, minHeadroom: 0 } }).map((v) => `${v.id}: ${v.message}`)).toEqual([
      'CB-CHECK-BUDGET-ERRORS: CB-UNKNOWN-MAX-CONNECTIONS: ' + unknown.problems[0].message + ' ' + unknown.problems[0].fix,
      'CB-CHECK-MAX-UTILIZATION: max_connections is unknown, so utilization cannot be held to 90 %.',
      'CB-CHECK-MIN-HEADROOM: max_connections is unknown, so headroom cannot be held to 0.',
    ]);
  });

  test('strict fails on unacknowledged warnings only', () => {
    const tight = ledgerOf(budget(postgresBehindProxy(300, 90), [ecsService('Web/Api', { maxTasks: 13, pool: 10 })]));
    expect(checkGuardrails({ head: [tight], options: { strict: true } }).map((v) => v.id)).toEqual(['CB-CHECK-WARNINGS']);
    expect(checkGuardrails({ head: [tight], options: {} })).toEqual([]);
    const acknowledged = ledgerOf(budget(postgresBehindProxy(300, 90), [ecsService('Web/Api', { maxTasks: 13, pool: 10 })]), ['CB-NEAR-CAPACITY']);
    expect(checkGuardrails({ head: [acknowledged], options: { strict: true } })).toEqual([]);
  });
});
