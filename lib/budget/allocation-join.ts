import { Check } from './checks/check';
import { runCheckList } from './checks';
import { Change, ChangeStatus } from './diff';
import { GuardrailViolation } from './guardrails';
import { LedgerAllocationJson, LedgerJson } from './ledger-schema';
import { Problem } from './model';
import { compareText, count, listOf } from './text';

/** An allocation counts in its owning budget as the reservation `allocation:<name>` through the proxy. */
export const ALLOCATION_RESERVATION_PREFIX = 'allocation:';

/** A team's budget built from an allocation (ConnectionBudget.fromAllocation), as the join counts it. */
export interface AllocationTeam {
  /** Construct path of the team's budget, in its app. */
  readonly budgetPath: string;
  /** The connections the team's budget was synthesized with (its cached record or its attributes). */
  readonly synthesizedWith: number;
  /** The team's worst case: every consumer at its peak at once. */
  readonly demand: number;
  /** The team's own reservations: they come out of the allocation too (its ceiling is the allocation less them). */
  readonly reserved: number;
  /** True when its lookup had not run and it was synthesized with CDK's stand-in value. */
  readonly pending: boolean;
}

/**
 * An allocation as its live record holds it, read on its own (`--allocation-record`): it stands in for the owning app's
 * ledger, so a team's app is checked against what the owning app has deployed rather than against its cached copy.
 */
export interface RecordGrant {
  /** Construct path of the owning budget, as the record names it. */
  readonly owningBudgetPath: string;
  /** The allocation's name, as the record names it. */
  readonly name: string;
  /** The connections the record grants. */
  readonly allocated: number;
  /** Where the record was read from, as the user named it. */
  readonly recordFile: string;
}

/** One allocation an owning budget grants, with the teams among the ledgers read that use it. */
export interface JoinedAllocation {
  /** Construct path of the owning budget. */
  readonly owningBudgetPath: string;
  /** The allocation's name. */
  readonly name: string;
  /** The connections the owning budget grants now. */
  readonly allocated: number;
  /** The file of the allocation record the grant was read from; absent when the owning budget's ledger was read. */
  readonly recordFile?: string;
  /** Sorted by budget path; empty when no team among the ledgers read uses it. */
  readonly teams: readonly AllocationTeam[];
  /** What the teams can take at once: the sum of their worst cases and own reservations. */
  readonly used: number;
  /** allocated − used; below 0 when the teams can take more than the owning budget grants. */
  readonly headroom: number;
}

/** A team whose owning budget is neither among the ledgers read nor given by a record: listed, not judged. */
export interface UnjoinedTeam extends AllocationTeam {
  readonly owningBudgetPath: string;
  readonly allocationName: string;
}

/** The allocations of several apps' ledgers, joined: what each owning budget grants and what its teams use. */
export interface AllocationJoin {
  /** Every allocation of the owning budgets read, sorted by owning budget, then name. */
  readonly granted: readonly JoinedAllocation[];
  /** Sorted by owning budget, allocation name, then budget path. */
  readonly ownerNotGiven: readonly UnjoinedTeam[];
  /** Errors first, then warnings, each in JOIN_CHECKS order. */
  readonly problems: readonly Problem[];
}

/** What the join checks read. */
export interface JoinContext {
  readonly granted: readonly JoinedAllocation[];
  /** The allocation each team budget was built from, by the team's budget path. */
  readonly teamAllocations: ReadonlyMap<string, LedgerAllocationJson>;
  /** Teams whose owning budget was read but grants no allocation of their allocation's name; with the names it grants. */
  readonly unknown: ReadonlyArray<{ readonly budgetPath: string; readonly allocation: LedgerAllocationJson; readonly grants: readonly string[] }>;
}

/** A check across apps: data with a stable ID and a level, like the budget checks. */
export type JoinCheck = Check<JoinContext>;

const allocationExceeded: JoinCheck = {
  id: 'CB-ALLOCATION-EXCEEDED',
  level: 'error',
  summary: 'The worst case of the team budgets that use an allocation exceeds what the owning budget grants.',
  explanation: 'Each team sizes its pools for the allocation it was synthesized with; when the owning app grants less, the teams '
    + 'can open more connections than the owning budget kept free for them, and the proxy refuses connections to every app behind it.',
  run: ({ granted }) => granted.filter((a) => a.used > a.allocated).map((a) => {
    const excess = a.used - a.allocated;
    const teams = a.teams.map((t) => `'${t.budgetPath}'`);
    return {
      subject: a.owningBudgetPath,
      message: `the allocation '${a.name}' grants ${a.allocated} connections${recordText(a)}, but the team budgets that use it can take ${a.used} `
        + `(${a.teams.map(teamUseText).join('; ')}), ${excess} more.`,
      fix: `Lower the worst case of ${listOf(teams, 'and')} by ${excess}${teams.length > 1 ? ' in total' : ''}, `
        + `or raise the allocation '${a.name}' from ${a.allocated} to at least ${a.used} in the owning app (its connections in addAllocation).`,
    };
  }),
};

const allocationUnknown: JoinCheck = {
  id: 'CB-ALLOCATION-UNKNOWN',
  level: 'error',
  summary: 'A team budget names an allocation its owning budget does not grant.',
  explanation: 'The team\'s pools are sized for connections the owning budget does not keep free: nothing stops the two apps together '
    + 'from opening more connections than the proxy holds.',
  run: ({ unknown }) => unknown.map(({ budgetPath, allocation, grants }) => ({
    subject: budgetPath,
    message: `was built from the allocation '${allocation.name}' of '${allocation.budgetPath}' (${allocation.connections} connections), `
      + `but '${allocation.budgetPath}' grants ${grants.length === 0 ? 'no allocation' : `only ${listOf(grants.map((g) => `'${g}'`), 'and')}`}.`,
    fix: `Name an allocation '${allocation.budgetPath}' grants in allocationName, or grant '${allocation.name}' in the owning app (addAllocation).`,
  })),
};

const allocationStale: JoinCheck = {
  id: 'CB-ALLOCATION-STALE',
  level: 'warning',
  summary: 'A team budget was synthesized with another allocation than its owning budget now grants.',
  explanation: 'CDK caches a context lookup in cdk.context.json and never refreshes it by itself: the team\'s pools stay sized for the old '
    + 'allocation, leaving connections unused when it grew, and the deploy-time guard refuses the team\'s next deployment when it shrank below its worst case.',
  run: ({ granted, teamAllocations }) => granted.flatMap((a) => a.teams
    .filter((t) => !t.pending && t.synthesizedWith !== a.allocated)
    .map((t) => ({
      subject: t.budgetPath,
      message: `was synthesized with the allocation '${a.name}' of '${a.owningBudgetPath}' at ${t.synthesizedWith} connections, `
        + `but the owning budget now grants ${a.allocated}${recordText(a)}.`,
      fix: refreshFix(teamAllocations.get(t.budgetPath)!, a.allocated),
    }))),
};

const allocationUnused: JoinCheck = {
  id: 'CB-ALLOCATION-UNUSED',
  level: 'warning',
  summary: 'An allocation has no team budget among the assemblies read, while other teams\' are.',
  explanation: 'The owning budget keeps the allocation\'s connections free for a team: when no app uses them, they are lost to the owning '
    + 'budget\'s own consumers; when one does but was not read, its use is not checked. Reading the owning app alone (its own pipeline) '
    + 'joins nothing, so it raises nothing.',
  run: ({ granted, teamAllocations }) => (teamAllocations.size === 0 ? [] : granted.filter((a) => a.teams.length === 0)).map((a) => ({
    subject: a.owningBudgetPath,
    message: `the allocation '${a.name}' grants ${a.allocated} connections${recordText(a)}, but no team budget among the assemblies read uses it.`,
    fix: 'Pass the assembly of the app that uses it as well; if no app does, remove the allocation so its connections return to this budget.',
  })),
};

/** Every join check, in the order their problems are reported (errors are reported before warnings). */
export const JOIN_CHECKS: readonly JoinCheck[] = [allocationExceeded, allocationUnknown, allocationStale, allocationUnused];

/**
 * Joins each team's budget to the allocation its owning budget grants, by the owning budget's path and the allocation's name.
 * The grants are the owning budgets' among `ledgers`, and the `records` read on their own; a record must not be of an owning
 * budget among `ledgers` (the CLI refuses that), as one source of truth per allocation keeps the join unambiguous. A team
 * whose owning budget is neither read nor given by a record is listed in ownerNotGiven and not judged.
 */
export function joinAllocations(ledgers: readonly LedgerJson[], records: readonly RecordGrant[] = []): AllocationJoin {
  const readPaths = new Set(ledgers.map((l) => l.budgetPath));
  const grants: Array<Omit<JoinedAllocation, 'teams' | 'used' | 'headroom'>> = [
    ...ledgers.flatMap((owner) => grantsOf(owner).map((g) => ({ owningBudgetPath: owner.budgetPath, ...g }))),
    ...records,
  ];
  const teams = ledgers.flatMap((ledger) => (ledger.inputs?.allocation ? [{ ledger, allocation: ledger.inputs.allocation }] : []));
  const uses = (g: { owningBudgetPath: string; name: string }, a: LedgerAllocationJson) => a.budgetPath === g.owningBudgetPath && a.name === g.name;

  const granted = grants.map((g): JoinedAllocation => {
    const users = teams.filter((t) => uses(g, t.allocation)).map((t) => teamOf(t.ledger, t.allocation)).sort((a, b) => compareText(a.budgetPath, b.budgetPath));
    const used = users.reduce((sum, t) => sum + t.demand + t.reserved, 0);
    return { ...g, teams: users, used, headroom: g.allocated - used };
  }).sort((a, b) => compareText(a.owningBudgetPath, b.owningBudgetPath) || compareText(a.name, b.name));

  const joined = (a: LedgerAllocationJson) => grants.some((g) => uses(g, a));
  const ownerNotGiven = teams.filter((t) => !readPaths.has(t.allocation.budgetPath) && !joined(t.allocation))
    .map((t): UnjoinedTeam => ({ ...teamOf(t.ledger, t.allocation), owningBudgetPath: t.allocation.budgetPath, allocationName: t.allocation.name }))
    .sort((a, b) => compareText(a.owningBudgetPath, b.owningBudgetPath) || compareText(a.allocationName, b.allocationName) || compareText(a.budgetPath, b.budgetPath));

  const unknown = teams.filter((t) => readPaths.has(t.allocation.budgetPath) && !joined(t.allocation))
    .map((t) => ({
      budgetPath: t.ledger.budgetPath,
      allocation: t.allocation,
      grants: grants.filter((g) => g.owningBudgetPath === t.allocation.budgetPath).map((g) => g.name).sort(compareText),
    }))
    .sort((a, b) => compareText(a.budgetPath, b.budgetPath));

  const teamAllocations = new Map(teams.map((t) => [t.ledger.budgetPath, t.allocation]));
  return { granted, ownerNotGiven, problems: runJoinChecks({ granted, teamAllocations, unknown }) };
}

/** Whether the join has anything to show: an allocation, a team, or a problem. */
export function hasAllocations(join: AllocationJoin): boolean {
  return join.granted.length > 0 || join.ownerNotGiven.length > 0 || join.problems.length > 0;
}

/**
 * The join's problems as `check` fails on them, under the guardrails that fail on a budget's own problems: errors always
 * (CB-CHECK-BUDGET-ERRORS), warnings with --strict (CB-CHECK-WARNINGS). An app cannot acknowledge a join warning: it only
 * arises when apps are read together.
 */
export function joinViolations(join: AllocationJoin, strict: boolean): GuardrailViolation[] {
  return join.problems.filter((p) => p.level === 'error' || strict).map((p) => ({
    id: p.level === 'error' ? 'CB-CHECK-BUDGET-ERRORS' : 'CB-CHECK-WARNINGS',
    budgetPath: p.subject,
    message: `${p.id}: ${p.message} ${p.fix}`,
  }));
}

/** An allocation whose grant or use differs between two joins. */
export interface AllocationChange {
  readonly owningBudgetPath: string;
  readonly name: string;
  readonly status: Exclude<ChangeStatus, 'unchanged'>;
  readonly allocated: Change<number>;
  readonly used: Change<number>;
}

/** The allocations granted on either side whose grant or use differs, sorted like the join. */
export function diffAllocations(base: AllocationJoin, head: AllocationJoin): AllocationChange[] {
  const key = (a: JoinedAllocation) => JSON.stringify([a.owningBudgetPath, a.name]);
  const before = new Map(base.granted.map((a) => [key(a), a]));
  const after = new Map(head.granted.map((a) => [key(a), a]));
  const all = [...base.granted, ...head.granted.filter((a) => !before.has(key(a)))]
    .sort((a, b) => compareText(a.owningBudgetPath, b.owningBudgetPath) || compareText(a.name, b.name));
  return all.flatMap((a): AllocationChange[] => {
    const b = before.get(key(a));
    const h = after.get(key(a));
    if (b && h && b.allocated === h.allocated && b.used === h.used) {
      return [];
    }
    return [{
      owningBudgetPath: a.owningBudgetPath,
      name: a.name,
      status: !b ? 'added' : !h ? 'removed' : 'changed',
      allocated: { before: b?.allocated ?? null, after: h?.allocated ?? null },
      used: { before: b?.used ?? null, after: h?.used ?? null },
    }];
  });
}

/** `'Team/Budget' 100`, `'Team/Budget' 110 (worst case 100 + reserved 10)`: what one team takes from its allocation. */
function teamUseText(team: AllocationTeam): string {
  const total = team.demand + team.reserved;
  return `'${team.budgetPath}' ${total}${team.reserved > 0 ? ` (worst case ${team.demand} + reserved ${team.reserved})` : ''}`;
}

/** ` (record 'records/0.json')` when a grant was read from a record file, so a message says which figure it judged by. */
function recordText(allocation: JoinedAllocation): string {
  return allocation.recordFile === undefined ? '' : ` (record '${allocation.recordFile}')`;
}

/** The allocations a budget grants: its reservations named `allocation:<name>` through the proxy. */
function grantsOf(ledger: LedgerJson): Array<{ name: string; allocated: number }> {
  const reservations = ledger.inputs?.reservations ?? ledger.capacity?.reservations ?? [];
  return reservations
    .filter((r) => r.throughProxy && r.name.startsWith(ALLOCATION_RESERVATION_PREFIX))
    .map((r) => ({ name: r.name.slice(ALLOCATION_RESERVATION_PREFIX.length), allocated: r.connections }));
}

function teamOf(ledger: LedgerJson, allocation: LedgerAllocationJson): AllocationTeam {
  return {
    budgetPath: ledger.budgetPath,
    synthesizedWith: allocation.connections,
    demand: ledger.totals.demand,
    reserved: (ledger.inputs?.reservations ?? []).reduce((sum, r) => sum + r.connections, 0),
    pending: allocation.pending,
  };
}

/** How a team's app picks up what the owning budget grants now. */
function refreshFix(allocation: LedgerAllocationJson, allocated: number): string {
  if (allocation.source === 'attributes') {
    return `Set attributes.connections to ${allocated} in the team's app, where it builds the budget with fromAllocation.`;
  }
  return `Refresh the cached lookup in the team's app: cdk context --reset <key> with the key of the SSM parameter '${allocation.parameterName}' (cdk context lists the keys), `
    + `then synthesize with credentials for the stack's account and region so its pools are sized for ${count(allocated, 'connection')}.`;
}

/** Runs every join check; a finding is about the budget it names. */
function runJoinChecks(context: JoinContext): Problem[] {
  return runCheckList(JOIN_CHECKS, context, (f) => f.subject);
}
