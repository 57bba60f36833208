import {
  AllocationChange, AllocationJoin, AllocationTeam, BudgetChange, BudgetDiff, CapacityCause, ConsumerChange, ConsumerSide, count, GuardrailViolation,
  JoinedAllocation, LedgerCapacityJson, LedgerJson, percent, Problem, UnjoinedTeam,
} from '../../budget';
import { arrow, signed } from './format';

/** What `check` found: the head's ledgers, the diff from the base when one was given, and the crossed guardrails. */
export interface CheckResult {
  readonly head: readonly LedgerJson[];
  readonly diff?: BudgetDiff;
  /** The head's allocations joined across the apps read. @default - no allocation part */
  readonly allocations?: AllocationJoin;
  /**
   * The allocations' warnings that are not violations (all of them without --strict): the text names them, since no app
   * can acknowledge them and a warning shown only as a count would send the reader to `report`. @default none
   */
  readonly allocationWarnings?: readonly Problem[];
  /** Human descriptions of the guardrails that were applied: `no budget errors`, `utilization ≤ 50 %`. */
  readonly guardrails: readonly string[];
  readonly violations: readonly GuardrailViolation[];
}

/**
 * One line over a set of ledgers: `1 budget, 7 consumers: worst case 764 of 771 (99.1 %), headroom 7; no errors, no warnings.`
 * The problems of the allocations joined across apps count with the budgets' own.
 */
export function reportSummary(ledgers: readonly LedgerJson[], allocations?: AllocationJoin): string {
  const consumers = ledgers.reduce((n, l) => n + l.consumers.length, 0);
  const head = `${count(ledgers.length, 'budget')}, ${count(consumers, 'consumer')}`;
  const problems = [...ledgers.flatMap((l) => l.problems.filter((p) => !p.acknowledged)), ...(allocations?.problems ?? [])];
  const errors = problems.filter((p) => p.level === 'error').length;
  const warnings = problems.length - errors;
  const tally = `${errors === 0 ? 'no errors' : count(errors, 'error')}, ${warnings === 0 ? 'no warnings' : count(warnings, 'warning')}`;
  if (ledgers.length === 1) {
    const { totals } = ledgers[0];
    const figures = totals.ceiling === null
      ? `worst case ${totals.demand}, max_connections unknown`
      : `worst case ${totals.demand} of ${totals.ceiling} (${percent(totals.utilizationPercent ?? 0)}), headroom ${totals.headroom}`;
    return `${head}: ${figures}; ${tally}.`;
  }
  const least = leastHeadroom(ledgers.map((l) => ({ path: l.budgetPath, headroom: l.totals.headroom })));
  return `${head}${least ? `; least headroom ${least.headroom} ('${least.path}')` : ''}; ${tally}.`;
}

/**
 * One line over a diff, like Infracost's total: `1 of 1 budget changed (3 consumers changed): worst case +40 (724 → 764), headroom 47 → 7.`
 */
export function diffSummary(diff: BudgetDiff): string {
  const total = diff.budgets.length;
  if (!diff.changed) {
    return `No connection budget changed (${count(total, 'budget')} compared).`;
  }
  const changedBudgets = diff.budgets.filter((b) => b.status !== 'unchanged');
  const { added, removed, changed } = diff.counts.consumers;
  const consumerParts = [
    ...(changed > 0 ? [`${count(changed, 'consumer')} changed`] : []),
    ...(added > 0 ? [`${count(added, 'consumer')} added`] : []),
    ...(removed > 0 ? [`${count(removed, 'consumer')} removed`] : []),
  ];
  const budgetWord = total === 1 ? 'budget' : 'budgets';
  // A budget new to the base (its first deployment) or gone from the head says so; among changed ones, in parentheses.
  const budgets = diff.counts.budgets;
  const newOrGone = (['added', 'removed'] as const).filter((status) => budgets[status] > 0);
  const alike = newOrGone.length === 1 && budgets[newOrGone[0]] === changedBudgets.length ? newOrGone[0] : undefined;
  const details = [...(alike ? [] : newOrGone.map((status) => `${count(budgets[status], 'budget')} ${status}`)), ...consumerParts];
  const what = `${changedBudgets.length} of ${total} ${budgetWord} ${alike ?? 'changed'}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
  const before = sumOf(changedBudgets, (b) => b.demand.before);
  const after = sumOf(changedBudgets, (b) => b.demand.after);
  let headroom: string;
  if (changedBudgets.length === 1) {
    headroom = `, headroom ${arrow(changedBudgets[0].headroom)}`;
  } else {
    const least = leastHeadroom(changedBudgets.map((b) => ({ path: b.budgetPath, headroom: b.headroom.after })));
    headroom = least ? `, least headroom ${least.headroom} ('${least.path}')` : '';
  }
  return `${what}: worst case ${signed(diff.demandDelta)} (${before} → ${after})${headroom}.`;
}

function sumOf(budgets: readonly BudgetChange[], read: (b: BudgetChange) => number | null): number {
  return budgets.reduce((n, b) => n + (read(b) ?? 0), 0);
}

function leastHeadroom(entries: ReadonlyArray<{ path: string; headroom: number | null }>): { path: string; headroom: number } | undefined {
  let least: { path: string; headroom: number } | undefined;
  for (const e of entries) {
    if (e.headroom !== null && (!least || e.headroom < least.headroom)) {
      least = { path: e.path, headroom: e.headroom };
    }
  }
  return least;
}

/** What max_connections keeps beside the ceiling: `migrations 10, admin 5 (through the proxy), engine reserve 5`. */
export function keptFree(capacity: LedgerCapacityJson): string[] {
  return [
    ...capacity.reservations.map((r) => `${r.name} ${reservationText(r)}`),
    ...(capacity.engineReserve > 0 ? [`engine reserve ${capacity.engineReserve}`] : []),
    ...(capacity.directDemand > 0 ? [`direct clients ${capacity.directDemand}`] : []),
  ];
}

/** `10`, or `5 (through the proxy)`: what a reservation keeps. */
function reservationText(reservation: { readonly connections: number; readonly throughProxy: boolean }): string {
  return `${reservation.connections}${reservation.throughProxy ? ' (through the proxy)' : ''}`;
}

/**
 * A cause of a ceiling change in words: what it is (`reservation 'admin'`, `max_connections`) and its value on each
 * side, `none` where it is absent, as the report words the same values.
 */
export function causeText(cause: CapacityCause): { readonly subject: string; readonly before: string; readonly after: string } {
  const sides = <T>(change: { readonly before: T | null; readonly after: T | null }, show: (side: T) => string) => ({
    before: change.before === null ? 'none' : show(change.before),
    after: change.after === null ? 'none' : show(change.after),
  });
  switch (cause.kind) {
    case 'max-connections':
      return { subject: 'max_connections', ...sides(cause, (m) => `${m.value} (${m.origin})`) };
    case 'proxy-max-connections-percent':
      return { subject: 'proxy MaxConnectionsPercent', ...sides(cause, (p) => `${p.maxConnectionsPercent} %${p.derived ? ' (derived by the budget)' : ''}`) };
    case 'reservation':
      return { subject: `reservation '${cause.name}'`, ...sides(cause, reservationText) };
  }
}

/** What changed inside a consumer: pool (with the variables that carry it), instances, other settings. */
export function consumerDetails(c: ConsumerChange): string[] {
  if (!c.before || !c.after) {
    const side = (c.after ?? c.before)!;
    return [`pool ${sidePoolText(side)}, ${side.instancesExplanation ?? 'unknown instances'}`];
  }
  const details: string[] = [];
  const poolChanged = sidePoolText(c.before) !== sidePoolText(c.after);
  if (poolChanged) {
    const carriers = c.variables.length > 0 ? ` (${c.variables.map((v) => v.name).join(', ')})` : '';
    details.push(`pool ${sidePoolText(c.before)} → ${sidePoolText(c.after)}${carriers}`);
  }
  if (c.before.peakInstances !== c.after.peakInstances || c.before.instancesExplanation !== c.after.instancesExplanation) {
    details.push(`${c.before.instancesExplanation ?? 'unknown'} → ${c.after.instancesExplanation ?? 'unknown'}`);
  }
  if (c.before.connectionsPerInstance !== c.after.connectionsPerInstance && !poolChanged) {
    details.push(`connections per instance ${c.before.connectionsPerInstance} → ${c.after.connectionsPerInstance}`);
  }
  if (c.before.route !== c.after.route) {
    details.push(`route ${c.before.route} → ${c.after.route}`);
  }
  // A chain renamed by a service joining or leaving it is no change of this consumer's.
  if ((c.before.chain === null) !== (c.after.chain === null)) {
    const how = (chain: string | null) => (chain === null ? 'with the others' : `in the chain of '${chain}'`);
    details.push(`deploys ${how(c.before.chain)} → ${how(c.after.chain)}`);
  }
  // With the pool unchanged, a variable change is another setting (a timeout): show its values.
  if (!poolChanged) {
    for (const v of c.variables) {
      details.push(`${v.name} ${v.before ?? 'unset'} → ${v.after ?? 'unset'}`);
    }
  }
  return details;
}

/** A consumer's pool on one side of a diff, as the report shows it: `10`, `5+2`; `none` for a side it is absent from. */
export function sidePoolText(side: ConsumerSide | null): string {
  return side ? poolText(side.poolSize, side.overflowPerPool) : 'none';
}

/** `10`, or `5+2` for a pool with overflow. */
/**
 * Who connects as a database user of their own, with its connection limit, which the database enforces (the user
 * manager sets it at deploy): each consumer (its worst case), each allocation granted (its connections), and, in a team's
 * budget, every consumer together as the allocation's user.
 */
export function databaseUsers(ledger: LedgerJson): Array<{ readonly path: string; readonly user: string; readonly limit: number }> {
  const allocation = ledger.inputs?.allocation;
  return [
    ...ledger.consumers.flatMap((c) => (c.inputs?.databaseUser ? [{ path: c.path, user: c.inputs.databaseUser, limit: c.demand }] : [])),
    ...(ledger.inputs?.reservations ?? []).flatMap((r) => (r.databaseUser ? [{ path: r.name, user: r.databaseUser, limit: r.connections }] : [])),
    ...(allocation?.databaseUser ? [{ path: `every consumer (allocation '${allocation.name}')`, user: allocation.databaseUser, limit: allocation.connections }] : []),
  ];
}

export function poolText(size: number, overflow: number): string {
  return overflow > 0 ? `${size}+${overflow}` : String(size);
}

/** The teams of an allocation with what each takes from it: `Team/Budget 100`, `Team/Budget 110 (100 + 10 reserved)`; `none`. */
export function teamsText(teams: readonly AllocationTeam[]): string {
  return teams.length === 0 ? 'none' : teams.map((t) => `${t.budgetPath} ${teamUse(t)}`).join(', ');
}

/** Who grants an allocation: `Data/Budget`, or `Data/Budget (record records/0.json)` when its live record was read instead. */
export function owningBudgetText(allocation: JoinedAllocation): string {
  return `${allocation.owningBudgetPath}${allocation.recordFile === undefined ? '' : ` (record ${allocation.recordFile})`}`;
}

/** A team whose owning budget was not read: `Team/Budget takes 100 from 'orders' of Platform/Budget (synthesized with 120)`. */
export function ownerNotGivenText(team: UnjoinedTeam): string {
  return `${team.budgetPath} takes ${teamUse(team)} from '${team.allocationName}' of ${team.owningBudgetPath} (synthesized with ${team.synthesizedWith})`;
}

/** What a team takes from its allocation: its worst case, and its own reservations when it keeps any. */
function teamUse(team: AllocationTeam): string {
  const reserved = team.reserved > 0 ? ` (${team.demand} + ${team.reserved} reserved)` : '';
  return `${team.demand + team.reserved}${reserved}${team.pending ? ' (not looked up)' : ''}`;
}

/** An allocation's change: `orders of Data/Budget`, allocated `120 → 60`, used `100`. */
export function allocationChangeText(change: AllocationChange): { readonly subject: string; readonly allocated: string; readonly used: string } {
  return { subject: `${change.name} of ${change.owningBudgetPath}`, allocated: arrow(change.allocated), used: arrow(change.used) };
}
