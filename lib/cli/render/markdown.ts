import {
  AllocationChange, AllocationJoin, BudgetChange, BudgetDiff, ENGINE_NAMES, forMarkdown, forTerminal, hasAllocations, LedgerJson, markdownCode, percent, Problem,
  startupText, wavesText,
} from '../../budget';
import { arrow, CHANGE_MARKERS, resolvedLines, signed, timesSuffix } from './format';
import {
  allocationChangeText, causeText, CheckResult, consumerDetails, databaseUsers, diffSummary, keptFree, ownerNotGivenText, poolText, reportSummary, sidePoolText, teamsText,
} from './summary';

/*
 * A pull-request comment is posted under the workflow's identity, so a name must not speak for it: names are code
 * spans, and messages and sentences built from a ledger are plain text (escape.ts), never markup.
 */

/** First line of every diff comment: lets a bot find and update its one comment on a pull request. */
export const DIFF_COMMENT_MARKER = '<!-- connection-budget-diff -->';

/**
 * The report as Markdown: per budget, the capacity arithmetic, a table and a Mermaid pie of the allocation; then the
 * allocations granted across the apps read, when there are any.
 */
export function reportMarkdown(ledgers: readonly LedgerJson[], allocations?: AllocationJoin): string {
  const parts = ['## Connection budgets', '', `**${forMarkdown(reportSummary(ledgers, allocations))}**`];
  for (const ledger of ledgers) {
    parts.push('', ...budgetMarkdown(ledger));
  }
  if (allocations && hasAllocations(allocations)) {
    parts.push('', ...allocationsMarkdown(allocations));
  }
  return `${parts.join('\n')}\n`;
}

function allocationsMarkdown(join: AllocationJoin): string[] {
  const lines = ['### Allocations'];
  if (join.granted.length > 0) {
    lines.push('', '| Allocation | Owning budget | Allocated | Used | Headroom | Teams (worst case) |', '|---|---|--:|--:|--:|---|');
    for (const a of join.granted) {
      const owner = `${cellCode(a.owningBudgetPath)}${a.recordFile === undefined ? '' : ` (record ${cellCode(a.recordFile)})`}`;
      lines.push(`| ${cellCode(a.name)} | ${owner} | ${a.allocated} | ${a.used} | ${a.headroom < 0 ? `**${a.headroom}**` : a.headroom} | ${forMarkdown(teamsText(a.teams))} |`);
    }
  }
  if (join.ownerNotGiven.length > 0) {
    lines.push('', ...join.ownerNotGiven.map((t) => `- Owner not given: ${forMarkdown(ownerNotGivenText(t))}`));
  }
  const problems = problemsMarkdown(join.problems);
  if (problems.length > 0) {
    lines.push('', ...problems);
  }
  return lines;
}

function budgetMarkdown(ledger: LedgerJson): string[] {
  const { capacity, totals } = ledger;
  const lines = [`### ${markdownCode(ledger.budgetPath)}${capacity ? ` (${ENGINE_NAMES[capacity.engine]})` : ''}`, ''];
  if (capacity && totals.ceiling !== null) {
    lines.push(`Ceiling **${totals.ceiling}**: ${forMarkdown(capacity.explanation)}.`);
    const kept = keptFree(capacity);
    if (kept.length > 0) {
      lines.push(`Kept free: ${forMarkdown(kept.join(', '))}.`);
    }
  } else {
    lines.push('max_connections is unknown, so the budget has no ceiling.');
  }
  for (const text of [wavesText(totals), startupText(ledger.startup)]) {
    if (text) lines.push(`${forMarkdown(text.charAt(0).toUpperCase() + text.slice(1))}.`);
  }
  const ceiling = totals.ceiling ?? 0;
  const share = (n: number) => (ceiling > 0 ? percent((100 * n) / ceiling) : '');
  lines.push('', '| Consumer | Kind | Pool | Peak instances | Worst case | Share of ceiling |', '|---|---|--:|--:|--:|--:|');
  for (const c of ledger.consumers) {
    lines.push(`| ${cellCode(c.path)} | ${forMarkdown(c.kind)} | ${poolText(c.pool.size, c.connections.overflowPerPool)} | ${c.instances ? c.instances.peak : '?'} | ${c.demand} | ${c.route === 'direct' ? 'direct' : share(c.demand)} |`);
  }
  if (totals.headroom !== null) {
    lines.push(`| **Headroom** | | | | **${totals.headroom}** | ${share(Math.max(0, totals.headroom))} |`);
  }
  const users = databaseUsers(ledger);
  if (users.length > 0) {
    lines.push('', 'Database users: the database refuses each past its connection limit:', '',
      '| Client | Database user | Connection limit |', '|---|---|--:|',
      ...users.map((u) => `| ${cellCode(u.path)} | ${cellCode(u.user)} | ${u.limit} |`));
  }
  if (ceiling > 0) {
    lines.push('', ...allocationPie(ledger));
  }
  const problems = problemsMarkdown(ledger.problems);
  if (problems.length > 0) {
    lines.push('', ...problems);
  }
  return lines;
}

/** A Mermaid pie of each consumer's worst case and the headroom, out of the ceiling (Mermaid allows only slices above 0). */
export function allocationPie(ledger: LedgerJson): string[] {
  const slices = ledger.consumers.filter((c) => c.route !== 'direct' && c.demand > 0).map((c) => [c.path, c.demand] as const);
  const headroom = ledger.totals.headroom ?? 0;
  if (headroom > 0) {
    slices.push(['headroom', headroom]);
  }
  return [
    '```mermaid',
    'pie showData',
    `    title Worst case of ${mermaidText(ledger.budgetPath)} (ceiling ${ledger.totals.ceiling})`,
    ...slices.map(([label, value]) => `    "${mermaidText(label)}" : ${value}`),
    '```',
  ];
}

/** A budget's problems, or the allocations' (which an app cannot acknowledge). */
function problemsMarkdown(problems: ReadonlyArray<Problem & { readonly acknowledged?: boolean }>): string[] {
  return problems.map((p) => {
    const label = p.level === 'error' ? '❌ error' : p.acknowledged ? '⚠️ warning (acknowledged)' : '⚠️ warning';
    return `- ${label} **${forMarkdown(p.id)}**: ${forMarkdown(p.message)} ${forMarkdown(p.fix)}`;
  });
}

/**
 * The diff as a pull-request comment: a summary line, a table per changed budget, the allocation after; then the
 * allocations granted across apps whose grant or use changed.
 */
export function diffMarkdown(diff: BudgetDiff, head: readonly LedgerJson[], allocationChanges: readonly AllocationChange[] = []): string {
  const parts = [DIFF_COMMENT_MARKER, '## Connection budget change', '', `**${forMarkdown(diffSummary(diff))}**`];
  for (const budget of diff.budgets.filter((b) => b.status !== 'unchanged')) {
    parts.push('', ...budgetChangeMarkdown(budget, head.find((l) => l.budgetPath === budget.budgetPath)));
  }
  if (allocationChanges.length > 0) {
    parts.push('', '### Allocations', '', '| | Allocation | Allocated | Used |', '|---|---|--:|--:|');
    for (const c of allocationChanges) {
      const { subject, allocated, used } = allocationChangeText(c);
      parts.push(`| ${CHANGE_MARKERS[c.status]} | ${forMarkdown(subject)} | ${allocated} | ${used} |`);
    }
  }
  const unchanged = diff.budgets.filter((b) => b.status === 'unchanged');
  if (unchanged.length > 0) {
    parts.push('', `Unchanged: ${unchanged.map((b) => markdownCode(b.budgetPath)).join(', ')}.`);
  }
  parts.push('', '<sub>Worst case: every consumer at its autoscaling maximum during a deployment. Generated by connection-budget from the synthesized templates.</sub>');
  return `${parts.join('\n')}\n`;
}

function budgetChangeMarkdown(budget: BudgetChange, head: LedgerJson | undefined): string[] {
  const lines = [`### ${CHANGE_MARKERS[budget.status]} ${markdownCode(budget.budgetPath)}${budget.status === 'changed' ? '' : ` (${budget.status})`}`, ''];
  // What moved the ceiling comes first: it explains the pools derived from it below.
  if (budget.causes.length > 0) {
    lines.push('| | Capacity | Before | After |', '|---|---|---|---|');
    for (const cause of budget.causes) {
      const { subject, before, after } = causeText(cause);
      lines.push(`| ${CHANGE_MARKERS[cause.status]} | ${forMarkdown(subject)} | ${forMarkdown(before)} | ${forMarkdown(after)} |`);
    }
    lines.push('');
  }
  if (budget.consumers.length > 0) {
    lines.push('| | Consumer | Worst case | Pool | Peak instances | What changed |', '|---|---|--:|--:|--:|---|');
    for (const c of budget.consumers) {
      const demand = `${signed(c.demandDelta)} (${c.before ? c.before.demand : 'none'} → ${c.after ? c.after.demand : 'none'})`;
      const pool = arrow({ before: sidePoolText(c.before), after: sidePoolText(c.after) });
      const peak = arrow({ before: c.before?.peakInstances ?? null, after: c.after?.peakInstances ?? null });
      lines.push(`| ${CHANGE_MARKERS[c.status]} | ${cellCode(c.path)} | ${demand} | ${pool} | ${peak} | ${forMarkdown(consumerDetails(c).join('; '))} |`);
    }
    lines.push('');
  }
  lines.push('| | Before | After | Change |', '|---|--:|--:|--:|');
  const row = (name: string, before: number | null, after: number | null, show: (n: number) => string = String, unit = '') => {
    const delta = before !== null && after !== null ? `${signed(Math.round((after - before) * 10) / 10)}${unit}` : '';
    lines.push(`| ${name} | ${before === null ? '—' : show(before)} | ${after === null ? '—' : show(after)} | ${delta} |`);
  };
  row('**Worst case**', budget.demand.before, budget.demand.after);
  row('**Headroom**', budget.headroom.before, budget.headroom.after);
  row('Ceiling', budget.ceiling.before, budget.ceiling.after);
  row('Utilization', budget.utilizationPercent.before, budget.utilizationPercent.after, percent, ' pts');
  if (budget.wavesCredit.before || budget.wavesCredit.after) {
    row('Saved by deploying in waves', budget.wavesCredit.before, budget.wavesCredit.after);
    const surge = (side: string | null) => (side === null ? 'none' : forMarkdown(side));
    lines.push(`| Largest surge | ${surge(budget.largestSurges.before)} | ${surge(budget.largestSurges.after)} | |`);
  }
  for (const p of budget.newProblems) {
    lines.push('', `- ${p.level === 'error' ? '❌ new error' : '⚠️ new warning'} **${forMarkdown(p.id)}**: ${forMarkdown(p.message)} ${forMarkdown(p.fix)}`);
  }
  for (const { problem: p, count } of resolvedLines(budget.resolvedProblems)) {
    lines.push('', `- ✅ resolved ${p.level} **${forMarkdown(p.id)}** of ${forMarkdown(p.subject)}${timesSuffix(count)}`);
  }
  for (const { after: p } of budget.changedProblems) {
    lines.push('', `- ${p.level === 'error' ? '❌ still an error' : '⚠️ still a warning'} **${forMarkdown(p.id)}**, now: ${forMarkdown(p.message)} ${forMarkdown(p.fix)}`);
  }
  if (head && head.totals.ceiling !== null && head.totals.ceiling > 0) {
    lines.push('', '<details><summary>Allocation after this change</summary>', '', ...allocationPie(head), '', '</details>');
  }
  return lines;
}

/** The result of `check` as Markdown. */
export function checkMarkdown(result: CheckResult): string {
  const parts = [result.diff ? diffMarkdown(result.diff, result.head).trimEnd() : reportMarkdown(result.head, result.allocations).trimEnd()];
  if (result.diff && result.allocations && hasAllocations(result.allocations)) {
    parts.push('', ...allocationsMarkdown(result.allocations));
  }
  parts.push('', '### Guardrails', '');
  if (result.violations.length === 0) {
    parts.push(`✅ Passed: ${result.guardrails.join(', ')}.`);
  } else {
    parts.push(`❌ Failed: ${result.violations.length} guardrail violation${result.violations.length === 1 ? '' : 's'}.`, '');
    for (const v of result.violations) {
      parts.push(`- **${forMarkdown(v.id)}** ${markdownCode(v.budgetPath)}: ${forMarkdown(v.message)}`);
    }
  }
  return `${parts.join('\n')}\n`;
}

/** A name in a table cell, as code: a `|` in it would end the cell. */
function cellCode(text: string): string {
  return markdownCode(text, { inTable: true });
}

/** Text inside a quoted Mermaid label, on one line: a line break would end the label, then the fenced block. */
function mermaidText(text: string): string {
  return forTerminal(text).replace(/"/g, '\'');
}
