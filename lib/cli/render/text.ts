import {
  AllocationChange, AllocationJoin, BudgetChange, BudgetDiff, ConsumerChange, ENGINE_NAMES, forTerminal, GuardrailViolation, hasAllocations, LedgerJson, percent, Problem,
  startupText, wavesText,
} from '../../budget';
import { arrow, bar, CHANGE_MARKERS, columns, resolvedLines, signed, styler, TextOptions, timesSuffix } from './format';
import {
  allocationChangeText, causeText, CheckResult, consumerDetails, databaseUsers, diffSummary, keptFree, owningBudgetText, ownerNotGivenText, poolText, reportSummary, teamsText,
} from './summary';

/*
 * Every name, message and sentence built from a ledger is escaped for the terminal where it is interpolated, before any
 * colour is added: a ledger read back from a template says whatever its editor wrote (escape.ts).
 */

const BAR_WIDTH = 20;

/**
 * The terminal report: per budget, the capacity arithmetic and a table of consumers with bars against the ceiling; then,
 * when the apps read grant or use allocations, what each allocation grants and what its teams use.
 */
export function reportText(ledgers: readonly LedgerJson[], options: TextOptions, allocations?: AllocationJoin): string {
  const style = styler(options);
  const sections = ledgers.map((ledger) => budgetText(ledger, options));
  if (allocations && hasAllocations(allocations)) {
    sections.push(allocationsText(allocations, options, allocations.problems).join('\n'));
  }
  return `${sections.join('\n\n')}\n\n${style('bold', forTerminal(reportSummary(ledgers, allocations)))}\n`;
}

/** The allocations table with the `problems` to show under it (check shows those that are not violations). */
function allocationsText(join: AllocationJoin, options: TextOptions, problems: readonly Problem[]): string[] {
  const style = styler(options);
  const rows = [['ALLOCATION', 'OWNING BUDGET', 'ALLOCATED', 'USED', 'HEADROOM', 'TEAMS (WORST CASE)']];
  for (const a of join.granted) {
    rows.push([forTerminal(a.name), forTerminal(owningBudgetText(a)), String(a.allocated), String(a.used), style(a.headroom < 0 ? 'red' : 'green', String(a.headroom)),
      forTerminal(teamsText(a.teams))]);
  }
  const lines = [style('bold', 'Allocations')];
  if (join.granted.length > 0) {
    lines.push(...columns(rows, new Set([2, 3, 4])).map((row, i) => `  ${i === 0 ? style('dim', row) : row}`));
  }
  lines.push(...join.ownerNotGiven.map((t) => `  owner not given: ${forTerminal(ownerNotGivenText(t))}`));
  if (problems.length > 0) {
    lines.push('', ...problemLines(problems, options));
  }
  return lines;
}

function budgetText(ledger: LedgerJson, options: TextOptions): string {
  const style = styler(options);
  const { capacity, totals } = ledger;
  const lines: string[] = [];
  lines.push(style('bold', `Connection budget ${forTerminal(ledger.budgetPath)}${capacity ? ` (${ENGINE_NAMES[capacity.engine]})` : ''}`));
  if (capacity && totals.ceiling !== null) {
    lines.push(`  ceiling ${totals.ceiling}: ${forTerminal(capacity.explanation)}`);
    const kept = keptFree(capacity);
    if (kept.length > 0) {
      lines.push(`  kept free: ${forTerminal(kept.join(', '))}`);
    }
    const utilization = totals.utilizationPercent ?? 0;
    const tone = utilization > 100 ? 'red' : utilization >= 90 ? 'yellow' : 'green';
    lines.push(`  worst case ${style(tone, `${totals.demand} of ${totals.ceiling} (${percent(utilization)})`)}, headroom ${totals.headroom}, steady ${totals.steadyDemand}`);
  } else {
    lines.push(`  max_connections unknown: worst case ${totals.demand}, steady ${totals.steadyDemand}`);
  }
  const waves = wavesText(totals);
  if (waves) lines.push(`  ${waves}`);
  const startup = startupText(ledger.startup);
  if (startup) lines.push(`  ${startup}`);
  const ceiling = totals.ceiling ?? 0;
  const share = (n: number) => (ceiling > 0 ? n / ceiling : 0);
  const rows: string[][] = [['CONSUMER', 'KIND', 'POOL', 'PEAK', 'WORST CASE', 'SHARE OF CEILING']];
  for (const c of ledger.consumers) {
    const peak = c.instances ? String(c.instances.peak) : '?';
    const shareCell = c.route === 'direct' ? 'direct, outside the ceiling' : ceiling > 0 ? `${bar(share(c.demand), BAR_WIDTH)}  ${percent(100 * share(c.demand))}` : '';
    rows.push([forTerminal(c.path), forTerminal(c.kind), poolText(c.pool.size, c.connections.overflowPerPool), peak, String(c.demand), shareCell]);
  }
  if (totals.headroom !== null) {
    rows.push(['headroom', '', '', '', String(totals.headroom), ceiling > 0 ? `${bar(share(Math.max(0, totals.headroom)), BAR_WIDTH)}  ${percent(100 * share(Math.max(0, totals.headroom)))}` : '']);
  }
  const table = columns(rows, new Set([2, 3, 4]));
  lines.push('', ...table.map((row, i) => `  ${i === 0 ? style('dim', row) : row}`));
  const users = databaseUsers(ledger);
  if (users.length > 0) {
    const userRows = columns([['CLIENT', 'DATABASE USER', 'CONNECTION LIMIT'], ...users.map((u) => [forTerminal(u.path), forTerminal(u.user), String(u.limit)])], new Set([2]));
    lines.push('', '  Database users: the database refuses each past its connection limit:',
      ...userRows.map((row, i) => `  ${i === 0 ? style('dim', row) : row}`));
  }
  const problems = problemLines(ledger.problems, options);
  if (problems.length > 0) {
    lines.push('', ...problems);
  }
  return lines.join('\n');
}

/** A budget's problems, or the allocations' (which an app cannot acknowledge). */
function problemLines(problems: ReadonlyArray<Problem & { readonly acknowledged?: boolean }>, options: TextOptions): string[] {
  const style = styler(options);
  return problems.map((p) => {
    const label = p.level === 'error' ? style('red', 'error') : style('yellow', p.acknowledged ? 'warning (acknowledged)' : 'warning');
    return `  ${label} ${forTerminal(p.id)}: ${forTerminal(p.message)} ${forTerminal(p.fix)}`;
  });
}

/**
 * The terminal diff, in the manner of `infracost diff`: per budget, changed consumers with before → after, then the
 * allocations whose grant or use changed, then totals.
 */
export function diffText(diff: BudgetDiff, options: TextOptions, allocationChanges: readonly AllocationChange[] = []): string {
  const style = styler(options);
  const lines = ['Key: ~ changed, + added, - removed', ''];
  const shown = diff.budgets.filter((b) => b.status !== 'unchanged');
  for (const budget of shown) {
    lines.push(...budgetChangeText(budget, options), '');
  }
  if (allocationChanges.length > 0) {
    const rows = allocationChanges.map((c) => {
      const { subject, allocated, used } = allocationChangeText(c);
      return [CHANGE_MARKERS[c.status], forTerminal(subject), `allocated ${allocated}`, `used ${used}`];
    });
    lines.push(style('bold', 'Allocations'), ...columns(rows, new Set()).map((row) => `    ${row}`), '');
  }
  const unchanged = diff.budgets.filter((b) => b.status === 'unchanged');
  if (unchanged.length > 0) {
    lines.push(style('dim', `Unchanged: ${unchanged.map((b) => forTerminal(b.budgetPath)).join(', ')}`), '');
  }
  lines.push(style('bold', forTerminal(diffSummary(diff))));
  return `${lines.join('\n')}\n`;
}

function budgetChangeText(budget: BudgetChange, options: TextOptions): string[] {
  const style = styler(options);
  const lines = [style('bold', `${CHANGE_MARKERS[budget.status]} Connection budget ${forTerminal(budget.budgetPath)}`)];
  // What moved the ceiling comes first: it explains the pools derived from it below.
  const causes = columns(budget.causes.map((cause) => {
    const { subject, before, after } = causeText(cause);
    return [CHANGE_MARKERS[cause.status], forTerminal(subject), forTerminal(`${before} → ${after}`)];
  }), new Set());
  lines.push(...causes.map((row) => `    ${row}`));
  const rows = columns(budget.consumers.map((c) => consumerRow(c)), new Set([2]));
  budget.consumers.forEach((c, i) => {
    lines.push(`    ${rows[i]}`);
    for (const detail of consumerDetails(c)) {
      lines.push(`        ${style('dim', forTerminal(detail))}`);
    }
  });
  const tone = (budget.headroom.after ?? 0) < 0 ? 'red' : budget.demandDelta > 0 ? 'yellow' : 'green';
  const figures: string[][] = [
    ['worst case', `${signed(budget.demandDelta)} (${arrow(budget.demand)})`],
    ['headroom', style(tone, arrow(budget.headroom))],
    ['ceiling', arrow(budget.ceiling)],
    ['utilization', arrow(budget.utilizationPercent, percent)],
    ...(budget.wavesCredit.before || budget.wavesCredit.after ? [['saved by waves', arrow(budget.wavesCredit)]] : []),
    ...(budget.largestSurges.before || budget.largestSurges.after
      ? [['largest surge', forTerminal(arrow(budget.largestSurges))]] : []),
  ];
  lines.push(...columns(figures, new Set()).map((row) => `    ${row}`));
  for (const p of budget.newProblems) {
    lines.push(`    ${p.level === 'error' ? style('red', 'new error') : style('yellow', 'new warning')} ${forTerminal(p.id)}: ${forTerminal(p.message)} ${forTerminal(p.fix)}`);
  }
  for (const { problem: p, count } of resolvedLines(budget.resolvedProblems)) {
    lines.push(`    ${style('green', `resolved ${p.level}`)} ${forTerminal(p.id)} of ${forTerminal(p.subject)}${timesSuffix(count)}`);
  }
  for (const { after: p } of budget.changedProblems) {
    lines.push(`    ${p.level === 'error' ? style('red', 'still an error') : style('yellow', 'still a warning')} ${forTerminal(p.id)}, now: ${forTerminal(p.message)} ${forTerminal(p.fix)}`);
  }
  return lines;
}

function consumerRow(c: ConsumerChange): string[] {
  const before = c.before?.demand ?? 0;
  const after = c.after?.demand ?? 0;
  return [CHANGE_MARKERS[c.status], forTerminal(c.path), signed(c.demandDelta), `(${c.before ? before : 'none'} → ${c.after ? after : 'none'})`];
}

/** The terminal result of `check`: each crossed guardrail, then a verdict. */
export function checkText(result: CheckResult, options: TextOptions): string {
  const style = styler(options);
  const lines: string[] = [];
  if (result.diff) {
    lines.push(diffText(result.diff, options).trimEnd(), '');
  } else {
    lines.push(forTerminal(reportSummary(result.head, result.allocations)), '');
  }
  if (result.allocations && hasAllocations(result.allocations)) {
    lines.push(...allocationsText(result.allocations, options, result.allocationWarnings ?? []), '');
  }
  for (const v of result.violations) {
    lines.push(violationLine(v, options));
  }
  lines.push(result.violations.length === 0
    ? style('green', `Passed: ${result.guardrails.join(', ')}.`)
    : style('red', `Failed: ${result.violations.length} guardrail violation${result.violations.length === 1 ? '' : 's'}.`));
  return `${lines.join('\n')}\n`;
}

function violationLine(v: GuardrailViolation, options: TextOptions): string {
  return `${styler(options)('red', 'x')} ${forTerminal(v.id)} '${forTerminal(v.budgetPath)}': ${forTerminal(v.message)}`;
}
