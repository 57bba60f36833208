import * as fc from 'fast-check';
import { diffAllocations, JOIN_CHECKS, joinAllocations, joinViolations, LedgerAllocationJson, LedgerJson, RecordGrant } from '../../lib/budget';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from './fixtures';

// Only a ledger's path, reservations, allocation and worst case matter to the join; the rest comes from one real ledger.
const template = ledgerOf(budget(postgresBehindProxy(1000, 50), [ecsService('Web/Api', { maxTasks: 1, pool: 1 })]));
const PARAMETER = '/connection-budget/Data/Budget/allocations/orders';

/** An owning budget granting `grants` (name → connections), as addAllocation records them: reservations through the proxy. */
function owner(path: string, grants: Record<string, number>): LedgerJson {
  const reservations = Object.entries(grants).map(([name, connections]) => ({ name: `allocation:${name}`, connections, throughProxy: true, clients: [] }));
  return { ...template, budgetPath: path, inputs: { ...template.inputs!, reservations } };
}

interface TeamOptions {
  readonly owner?: string;
  readonly allocation?: string;
  readonly synthesizedWith?: number;
  readonly demand: number;
  readonly reserved?: number;
  readonly pending?: boolean;
  readonly source?: LedgerAllocationJson['source'];
}

/** A team's budget built from an allocation (fromAllocation): no database, no proxy, the allocation in its inputs. */
function team(path: string, options: TeamOptions): LedgerJson {
  const source = options.source ?? 'lookup';
  const allocation: LedgerAllocationJson = {
    budgetPath: options.owner ?? 'Data/Budget', name: options.allocation ?? 'orders', connections: options.synthesizedWith ?? 120,
    basis: 'the record', source, pending: options.pending ?? false, deployTimeCheck: source === 'lookup', parameterName: PARAMETER,
    clientSecurityGroupId: 'sg-0123456789abcdef0', port: 5432, proxyIdleClientTimeoutSeconds: 1800,
  };
  const reservations = options.reserved ? [{ name: 'migrations', connections: options.reserved, throughProxy: false, clients: [] }] : [];
  return {
    ...template, budgetPath: path, totals: { ...template.totals, demand: options.demand },
    inputs: { ...template.inputs!, database: null, proxy: null, reservations, allocation },
  };
}

const problemsOf = (ledgers: LedgerJson[], records: RecordGrant[] = []) => joinAllocations(ledgers, records).problems.map((p) => `${p.id} ${p.level} [${p.subject}] ${p.message} ${p.fix}`);

describe('joinAllocations', () => {
  test('joins each team to the allocation it names: allocated, used, headroom, teams sorted by path', () => {
    const join = joinAllocations([
      team('Orders/Budget', { demand: 60 }), owner('Data/Budget', { orders: 120, billing: 30 }), team('Billing/Budget', { allocation: 'billing', demand: 20, synthesizedWith: 30 }),
      team('Audit/Budget', { demand: 40 }),
    ]);
    expect(join).toEqual({
      granted: [
        { owningBudgetPath: 'Data/Budget', name: 'billing', allocated: 30, used: 20, headroom: 10, teams: [
          { budgetPath: 'Billing/Budget', synthesizedWith: 30, demand: 20, reserved: 0, pending: false },
        ] },
        { owningBudgetPath: 'Data/Budget', name: 'orders', allocated: 120, used: 100, headroom: 20, teams: [
          { budgetPath: 'Audit/Budget', synthesizedWith: 120, demand: 40, reserved: 0, pending: false },
          { budgetPath: 'Orders/Budget', synthesizedWith: 120, demand: 60, reserved: 0, pending: false },
        ] },
      ],
      ownerNotGiven: [],
      problems: [],
    });
  });

  test('a team\'s own reservations come out of the allocation too', () => {
    const [orders] = joinAllocations([owner('Data/Budget', { orders: 120 }), team('Orders/Budget', { demand: 100, reserved: 10 })]).granted;
    expect(orders).toMatchObject({ allocated: 120, used: 110, headroom: 10 });
  });

  test('a team whose owning budget was not read is listed, not judged', () => {
    const join = joinAllocations([team('Orders/Budget', { owner: 'Platform/Budget', demand: 100 }), owner('Data/Budget', {})]);
    expect(join).toEqual({
      granted: [],
      ownerNotGiven: [{ budgetPath: 'Orders/Budget', owningBudgetPath: 'Platform/Budget', allocationName: 'orders', synthesizedWith: 120, demand: 100, reserved: 0, pending: false }],
      problems: [],
    });
  });

  test('a reservation that only looks like an allocation (not through the proxy) grants nothing', () => {
    const data = owner('Data/Budget', {});
    const lookalike = { ...data, inputs: { ...data.inputs!, reservations: [{ name: 'allocation:orders', connections: 5, throughProxy: false, clients: [] }] } };
    expect(joinAllocations([lookalike]).granted).toEqual([]);
  });

  test('a ledger without inputs (schema 1, a diff\'s base) grants what its capacity reserves', () => {
    const data = owner('Data/Budget', {});
    const old: LedgerJson = { ...data, inputs: null, capacity: { ...data.capacity!, reservations: [{ name: 'allocation:orders', connections: 50, throughProxy: true }] } };
    expect(joinAllocations([old]).granted.map((a) => [a.name, a.allocated])).toEqual([['orders', 50]]);
  });
});

describe('joinAllocations with records read on their own (--allocation-record)', () => {
  const live = (allocated: number, name = 'orders'): RecordGrant => ({ owningBudgetPath: 'Data/Budget', name, allocated, recordFile: 'records/0.json' });

  test('a record grants like an owning budget, and says which file it came from', () => {
    expect(joinAllocations([team('Orders/Budget', { demand: 100 })], [live(120)])).toEqual({
      granted: [{ owningBudgetPath: 'Data/Budget', name: 'orders', allocated: 120, used: 100, headroom: 20, recordFile: 'records/0.json', teams: [
        { budgetPath: 'Orders/Budget', synthesizedWith: 120, demand: 100, reserved: 0, pending: false },
      ] }],
      ownerNotGiven: [],
      problems: [],
    });
  });

  test('a team over the record exceeds it, and a team synthesized with another figure is stale; both name the record', () => {
    expect(problemsOf([team('Orders/Budget', { demand: 100 })], [live(80)])).toEqual([
      "CB-ALLOCATION-EXCEEDED error [Data/Budget] ConnectionBudget 'Data/Budget': the allocation 'orders' grants 80 connections (record 'records/0.json'), "
      + "but the team budgets that use it can take 100 ('Orders/Budget' 100), 20 more. Lower the worst case of 'Orders/Budget' by 20, or raise the allocation "
      + "'orders' from 80 to at least 100 in the owning app (its connections in addAllocation).",
      "CB-ALLOCATION-STALE warning [Orders/Budget] ConnectionBudget 'Orders/Budget': was synthesized with the allocation 'orders' of 'Data/Budget' at 120 "
      + "connections, but the owning budget now grants 80 (record 'records/0.json'). Refresh the cached lookup in the team's app: cdk context --reset <key> "
      + `with the key of the SSM parameter '${PARAMETER}' (cdk context lists the keys), then synthesize with credentials for the stack's account and region `
      + 'so its pools are sized for 80 connections.',
    ]);
  });

  test('a record of another allocation of the same owner leaves the team unjoined, not unknown: it speaks for its own allocation only', () => {
    const join = joinAllocations([team('Orders/Budget', { demand: 100 })], [live(30, 'billing')]);
    expect(join.ownerNotGiven.map((t) => `${t.budgetPath} ${t.owningBudgetPath} ${t.allocationName}`)).toEqual(['Orders/Budget Data/Budget orders']);
    expect(join.problems.map((p) => `${p.id} ${p.message}`)).toEqual([
      "CB-ALLOCATION-UNUSED ConnectionBudget 'Data/Budget': the allocation 'billing' grants 30 connections (record 'records/0.json'), but no team budget "
      + 'among the assemblies read uses it.',
    ]);
  });
});

describe('join checks', () => {
  test('the registry holds exactly these checks, in this order and at these levels', () => {
    expect(JOIN_CHECKS.map((c) => `${c.id}:${c.level}`)).toEqual([
      'CB-ALLOCATION-EXCEEDED:error', 'CB-ALLOCATION-UNKNOWN:error', 'CB-ALLOCATION-STALE:warning', 'CB-ALLOCATION-UNUSED:warning',
    ]);
  });

  test.each<[string, LedgerJson[], string[]]>([
    ['every team fits an allocation it was synthesized with', [owner('Data/Budget', { orders: 120 }), team('Orders/Budget', { demand: 120 })], []],
    ['fails when one team exceeds the allocation', [owner('Data/Budget', { orders: 60 }), team('Orders/Budget', { demand: 100, synthesizedWith: 60 })], [
      "CB-ALLOCATION-EXCEEDED error [Data/Budget] ConnectionBudget 'Data/Budget': the allocation 'orders' grants 60 connections, but the team budgets that use "
      + "it can take 100 ('Orders/Budget' 100), 40 more. Lower the worst case of 'Orders/Budget' by 40, or raise the allocation 'orders' from 60 to at least 100 "
      + 'in the owning app (its connections in addAllocation).',
    ]],
    ['fails when teams that each fit exceed the allocation together, reservations included', [
      owner('Data/Budget', { orders: 120 }), team('Orders/Budget', { demand: 70 }), team('Audit/Budget', { demand: 50, reserved: 10 }),
    ], [
      "CB-ALLOCATION-EXCEEDED error [Data/Budget] ConnectionBudget 'Data/Budget': the allocation 'orders' grants 120 connections, but the team budgets that use "
      + "it can take 130 ('Audit/Budget' 60 (worst case 50 + reserved 10); 'Orders/Budget' 70), 10 more. Lower the worst case of 'Audit/Budget' and "
      + "'Orders/Budget' by 10 in total, or raise the allocation 'orders' from 120 to at least 130 in the owning app (its connections in addAllocation).",
    ]],
    ['fails when a team names an allocation its owner does not grant', [owner('Data/Budget', { billing: 30, audit: 5 }), team('Orders/Budget', { demand: 10 })], [
      "CB-ALLOCATION-UNKNOWN error [Orders/Budget] ConnectionBudget 'Orders/Budget': was built from the allocation 'orders' of 'Data/Budget' (120 connections), "
      + "but 'Data/Budget' grants only 'audit' and 'billing'. Name an allocation 'Data/Budget' grants in allocationName, or grant 'orders' in the owning app (addAllocation).",
      expect.stringMatching(/^CB-ALLOCATION-UNUSED warning \[Data\/Budget\] ConnectionBudget 'Data\/Budget': the allocation 'audit' grants 5 /) as unknown as string,
      expect.stringMatching(/^CB-ALLOCATION-UNUSED warning \[Data\/Budget\] ConnectionBudget 'Data\/Budget': the allocation 'billing' grants 30 /) as unknown as string,
    ]],
    ['fails when the owner grants no allocation at all', [owner('Data/Budget', {}), team('Orders/Budget', { demand: 10 })], [
      "CB-ALLOCATION-UNKNOWN error [Orders/Budget] ConnectionBudget 'Orders/Budget': was built from the allocation 'orders' of 'Data/Budget' (120 connections), "
      + "but 'Data/Budget' grants no allocation. Name an allocation 'Data/Budget' grants in allocationName, or grant 'orders' in the owning app (addAllocation).",
    ]],
    ['warns when a looked-up team was synthesized with another allocation', [owner('Data/Budget', { orders: 150 }), team('Orders/Budget', { demand: 100 })], [
      "CB-ALLOCATION-STALE warning [Orders/Budget] ConnectionBudget 'Orders/Budget': was synthesized with the allocation 'orders' of 'Data/Budget' at 120 "
      + 'connections, but the owning budget now grants 150. Refresh the cached lookup in the team\'s app: cdk context --reset <key> with the key of the SSM '
      + `parameter '${PARAMETER}' (cdk context lists the keys), then synthesize with credentials for the stack's account and region so its pools are sized for 150 connections.`,
    ]],
    ['warns when a team given attributes was given another allocation', [owner('Data/Budget', { orders: 150 }), team('Orders/Budget', { demand: 100, source: 'attributes' })], [
      "CB-ALLOCATION-STALE warning [Orders/Budget] ConnectionBudget 'Orders/Budget': was synthesized with the allocation 'orders' of 'Data/Budget' at 120 "
      + "connections, but the owning budget now grants 150. Set attributes.connections to 150 in the team's app, where it builds the budget with fromAllocation.",
    ]],
    ['a team synthesized with CDK\'s stand-in value is not stale: its own ledger says it was not looked up', [
      owner('Data/Budget', { orders: 150 }), team('Orders/Budget', { demand: 100, pending: true, synthesizedWith: 0 }),
    ], []],
    ['warns when no team among those read uses an allocation', [owner('Data/Budget', { orders: 120, spare: 5 }), team('Orders/Budget', { demand: 100 })], [
      "CB-ALLOCATION-UNUSED warning [Data/Budget] ConnectionBudget 'Data/Budget': the allocation 'spare' grants 5 connections, but no team budget among the "
      + 'assemblies read uses it. Pass the assembly of the app that uses it as well; if no app does, remove the allocation so its connections return to this budget.',
    ]],
    ['says nothing of an owner read alone: its own pipeline joins nothing', [owner('Data/Budget', { orders: 120 })], []],
    ['errors come before warnings', [owner('Data/Budget', { orders: 60, spare: 5 }), team('Orders/Budget', { demand: 100 })], [
      expect.stringMatching(/^CB-ALLOCATION-EXCEEDED error/) as unknown as string,
      expect.stringMatching(/^CB-ALLOCATION-STALE warning \[Orders\/Budget\]/) as unknown as string,
      expect.stringMatching(/^CB-ALLOCATION-UNUSED warning \[Data\/Budget\] ConnectionBudget 'Data\/Budget': the allocation 'spare'/) as unknown as string,
    ]],
  ])('%s', (_name, ledgers, expected) => {
    expect(problemsOf(ledgers)).toEqual(expected);
  });

  test('check fails on the errors always and on the warnings with --strict, under the guardrails a budget\'s problems fail', () => {
    const join = joinAllocations([owner('Data/Budget', { orders: 60 }), team('Orders/Budget', { demand: 100 })]);
    expect(joinViolations(join, false).map((v) => [v.id, v.budgetPath, v.message.split(':')[0]])).toEqual([
      ['CB-CHECK-BUDGET-ERRORS', 'Data/Budget', 'CB-ALLOCATION-EXCEEDED'],
    ]);
    expect(joinViolations(join, true).map((v) => [v.id, v.budgetPath, v.message.split(':')[0]])).toEqual([
      ['CB-CHECK-BUDGET-ERRORS', 'Data/Budget', 'CB-ALLOCATION-EXCEEDED'],
      ['CB-CHECK-WARNINGS', 'Orders/Budget', 'CB-ALLOCATION-STALE'],
    ]);
  });
});

describe('diffAllocations', () => {
  test('lists the allocations whose grant or use changed, added or removed, and leaves out the rest', () => {
    const base = joinAllocations([owner('Data/Budget', { orders: 120, billing: 30, audit: 5 }), team('Orders/Budget', { demand: 100 })]);
    const head = joinAllocations([owner('Data/Budget', { orders: 60, billing: 30, search: 10 }), team('Orders/Budget', { demand: 100 })]);
    expect(diffAllocations(base, head)).toEqual([
      { owningBudgetPath: 'Data/Budget', name: 'audit', status: 'removed', allocated: { before: 5, after: null }, used: { before: 0, after: null } },
      { owningBudgetPath: 'Data/Budget', name: 'orders', status: 'changed', allocated: { before: 120, after: 60 }, used: { before: 100, after: 100 } },
      { owningBudgetPath: 'Data/Budget', name: 'search', status: 'added', allocated: { before: null, after: 10 }, used: { before: null, after: 0 } },
    ]);
    expect(diffAllocations(head, head)).toEqual([]);
  });
});

describe('properties', () => {
  const owners = ['A/Budget', 'B/Budget'] as const;
  const names = ['orders', 'billing', 'search'];
  /** What A/Budget and B/Budget grant: some of `names`, each some connections. */
  const grantsArb = fc.tuple(...owners.map(() => fc.dictionary(fc.constantFrom(...names), fc.integer({ min: 1, max: 500 }))));
  const teamArb = fc.record({
    owner: fc.constantFrom(...owners), allocation: fc.constantFrom(...names), demand: fc.integer({ min: 0, max: 300 }), reserved: fc.integer({ min: 0, max: 20 }),
  });
  type Team = typeof teamArb extends fc.Arbitrary<infer T> ? T : never;
  /** The owners and one team ledger per team, each synthesized with what its owner grants (1 for an allocation it does not). */
  const ledgersOf = (grants: ReadonlyArray<Record<string, number>>, teams: readonly Team[]) => [
    ...owners.map((path, i) => owner(path, grants[i])),
    ...teams.map((t, i) => team(`Team${i}/Budget`, { ...t, synthesizedWith: grants[owners.indexOf(t.owner)][t.allocation] ?? 1 })),
  ];

  test('used is what the teams take, headroom is allocated − used, and EXCEEDED fires exactly where headroom is below 0', () => {
    fc.assert(fc.property(grantsArb, fc.array(teamArb, { maxLength: 8 }), (grants, teams) => {
      const join = joinAllocations(ledgersOf(grants, teams));
      for (const a of join.granted) {
        const users = teams.filter((t) => t.owner === a.owningBudgetPath && t.allocation === a.name);
        expect(a.used).toBe(users.reduce((sum, t) => sum + t.demand + t.reserved, 0));
        expect(a.headroom).toBe(a.allocated - a.used);
        expect(a.teams).toHaveLength(users.length);
      }
      expect(join.problems.filter((p) => p.id === 'CB-ALLOCATION-EXCEEDED')).toHaveLength(join.granted.filter((a) => a.headroom < 0).length);
    }));
  });

  test('no problem when every allocation has a team that fits and was synthesized with what it grants', () => {
    fc.assert(fc.property(grantsArb, (grants) => {
      const fitting = grants.flatMap((g, i) => Object.entries(g).map(([allocation, connections]) => ({
        owner: owners[i], allocation, demand: Math.floor(connections / 2), reserved: connections - Math.floor(connections / 2),
      })));
      expect(joinAllocations(ledgersOf(grants, fitting)).problems).toEqual([]);
    }));
  });

  test('the join does not depend on the order the ledgers are read in', () => {
    fc.assert(fc.property(grantsArb, fc.array(teamArb, { maxLength: 8 }), fc.array(fc.nat(), { minLength: 10, maxLength: 10 }), (grants, teams, keys) => {
      const ledgers = ledgersOf(grants, teams);
      const shuffled = ledgers.map((l, i) => ({ l, key: keys[i % keys.length] * 100 + i })).sort((a, b) => a.key - b.key).map(({ l }) => l);
      expect(joinAllocations(shuffled)).toEqual(joinAllocations(ledgers));
    }));
  });
});
