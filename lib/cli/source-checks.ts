import { forTerminalLines, LedgerJson } from '../budget';
import { ledgerDiffers } from '../budget/checks/ledger-differs';
import { BudgetSource, InputError } from './read-budgets';

/*
 * What the sources a command reads lack, checked before their budgets are judged: an app split over several sources,
 * a part of an app (consumers' records without their budget's), a base without a budget an increase guardrail would
 * judge; and the notes on standard error about a base whose figures are not what was synthesized.
 */

/**
 * Fails when one app's templates come as several sources: a budget's record in one, its consumers' in another. Each
 * source is read and verified alone (apps are joined by budget path), so the budget would miss its consumers.
 */
export function requireUnsplitApps(sources: readonly BudgetSource[], given: string): void {
  for (const source of sources) {
    for (const orphan of source.orphaned) {
      const home = sources.find((s) => s.budgets.some((b) => b.ledger.budgetPath === orphan.budgetPath));
      if (home) {
        throw new InputError(`budget '${orphan.budgetPath}' has its record in ${describeSource(home)} and records of its consumers (${describeOrphans(orphan)}) `
          + `in ${describeSource(source)}: each ${given} is read as an app of its own. Pass all the templates of an app as one ${given} (one directory).`);
      }
    }
  }
}

/**
 * Fails on a source that holds consumers' records of a budget without the budget's own record: a part of an app, whose
 * budget cannot be rebuilt, where it would otherwise be missing without a word.
 */
export function requireWholeApps(sources: readonly BudgetSource[]): void {
  for (const source of sources) {
    const [orphan] = source.orphaned;
    if (orphan) {
      throw new InputError(`${describeSource(source)} ${holds(source)} records of consumers of budget '${orphan.budgetPath}' (${describeOrphans(orphan)}) but not the budget's `
        + 'own record: it is a part of an app. Pass the whole cloud assembly (cdk.out) or every template of the app, the budget\'s stack included.');
    }
  }
}

/**
 * Fails when a guardrail that compares a budget with the base meets a base without that budget's record but with its
 * consumers': the base's worst case of it is unknown, and the budget would pass as new, which no increase guardrail judges.
 */
export function requireBaseOf(head: readonly LedgerJson[], baseSources: readonly BudgetSource[], guardrail: string): void {
  for (const source of baseSources) {
    const orphan = source.orphaned.find((o) => head.some((l) => l.budgetPath === o.budgetPath));
    if (orphan) {
      throw new InputError(`${guardrail} compares each budget's worst case with the base's, but ${describeSource(source)} ${holds(source)} records of consumers of budget `
        + `'${orphan.budgetPath}' (${describeOrphans(orphan)}) without the budget's own record, so its worst case there is unknown. `
        + 'Pass every stack\'s template of the base, the budget\'s stack included.');
    }
  }
}

/**
 * Says on standard error which budgets an increase guardrail does not judge because the base lacks them: new ones,
 * such as a stage's first deployment, or a base that left their stacks out.
 */
export function noteNewBudgets(head: readonly LedgerJson[], baseSources: readonly BudgetSource[], guardrail: string, stderr: (text: string) => void): void {
  const inBase = new Set(baseSources.flatMap((s) => s.budgets.map((b) => b.ledger.budgetPath)));
  for (const ledger of head.filter((l) => !inBase.has(l.budgetPath))) {
    stderr(forTerminalLines(`connection-budget: note: budget '${ledger.budgetPath}' is not in the base (${baseSources.map(describeSource).join('; ')}), so `
      + `${guardrail} does not judge it: a new budget is judged by utilization and headroom. If it is not new, pass every stack's template of the base.`) + '\n');
  }
}

/** The consumers of orphaned records, as a message lists them: the first few, then how many more, and their stacks. */
function describeOrphans(orphan: BudgetSource['orphaned'][number]): string {
  const stacks = [...new Set(orphan.consumers.map((c) => `'${c.stack}'`))];
  return `${listPaths(orphan.consumers.map((c) => c.path))} in ${stacks.length === 1 ? 'stack' : 'stacks'} ${stacks.join(', ')}`;
}

/** The most consumer paths a note lists before it says how many more. */
const NOTE_PATHS_SHOWN = 5;

/**
 * What makes a base's figures other than what was synthesized, said on standard error: consumers' records without
 * their budget's (the base counts the budget as absent), records edited by hand, and consumers named without their
 * records, which the base counts as absent, so a diff shows them as added. Deployed templates read while a change rolls
 * out (the budget's stack deployed, a consumer's not yet) look exactly like the latter, as does a base without some of
 * the app's stacks.
 */
export function noteUnreliableBase(sources: readonly BudgetSource[], stderr: (text: string) => void): void {
  for (const source of sources) {
    for (const orphan of source.orphaned) {
      stderr(forTerminalLines(`connection-budget: note: the base holds records of consumers of budget '${orphan.budgetPath}' (${describeOrphans(orphan)}) `
        + `without the budget's own record, which is not ${among(source)}; the base counts the budget as absent, so a change shows it as added. `
        + 'Pass every stack\'s template of the base.') + '\n');
    }
    for (const { ledger, unrecorded, edited } of source.budgets) {
      if (edited.length > 0) {
        stderr(forTerminalLines(`connection-budget: note: in the base, budget '${ledger.budgetPath}' holds records edited after synthesis (${listPaths(edited)}) `
          + `in ${describeSource(source)}: its figures there are rebuilt from them, so a change compared with it may be larger or smaller than shown. `
          + 'Compare with the deployed templates as they are, or a fresh synth of the base revision.') + '\n');
      } else if (unrecorded.length === 0) {
        // A base without some of its consumers' records differs from them as a matter of course: the notes below say why.
        const differing = ledger.problems.filter((p) => p.id === ledgerDiffers.id).length;
        if (differing > 0) {
          stderr(forTerminalLines(`connection-budget: note: in the base, budget '${ledger.budgetPath}' differs from what its templates deploy `
            + `(${differing === 1 ? `1 ${ledgerDiffers.id}` : `${differing} × ${ledgerDiffers.id}`}) in ${describeSource(source)}: its figures there are `
            + 'rebuilt from what deploys, not the ones synthesized, so a change compared with it may be larger or smaller than shown. Compare with the '
            + 'deployed templates as they are, or a fresh synth of the base revision.') + '\n');
        }
      }
      const note = (consumers: ReadonlyArray<{ path: string; stack: string }>, where: (stacks: string) => string, fix: string) => {
        if (consumers.length === 0) return;
        const stacks = [...new Set(consumers.map((c) => `'${c.stack}'`))].join(', ');
        const [named, them] = consumers.length === 1 ? ['a consumer', 'it'] : [`${consumers.length} consumers`, 'them'];
        stderr(forTerminalLines(`connection-budget: note: in the base, budget '${ledger.budgetPath}' names ${named} (${listPaths(consumers.map((c) => c.path))}) `
          + `${where(stacks)}; the base counts ${them} as absent, so a change shows ${them} as added, and the derived pools of the others there are `
          + `shared out without ${them}. ${fix}`) + '\n');
      };
      note(unrecorded.filter((u) => u.stackRead && !u.stackEmpty), (stacks) => `without a record in the template of ${stacks} ${among(source)}`,
        'That template is an earlier version (a rollout in progress deploys the budget\'s stack before its consumers\'), or was edited.');
      note(unrecorded.filter((u) => u.stackEmpty), (stacks) => `in ${stacks}, empty ${among(source)} (no resource)`,
        'Such a stack is not deployed yet (an exported base writes one as {"Resources":{}}): once it is, the base holds its consumers\' records.');
      note(unrecorded.filter((u) => !u.stackRead), (stacks) => `in ${stacks}, not ${among(source)}`,
        'Pass every stack\'s template of the base.');
    }
  }
}

/** Paths as a note lists them: the first few, then how many more. */
function listPaths(paths: readonly string[]): string {
  const more = paths.length > NOTE_PATHS_SHOWN ? ` and ${paths.length - NOTE_PATHS_SHOWN} more` : '';
  return `${paths.slice(0, NOTE_PATHS_SHOWN).map((p) => `'${p}'`).join(', ')}${more}`;
}

/** `holds` or `hold`, as describeSource says one template or several. */
function holds(source: BudgetSource): string {
  return source.kind === 'template' || source.templates === 1 ? 'holds' : 'hold';
}

/** Where among a source something is, or is not: `in` its one template, `among` its several. */
function among(source: BudgetSource): string {
  return `${source.kind === 'template' ? 'in' : 'among'} ${describeSource(source)}`;
}

export function describeSource(source: BudgetSource): string {
  if (source.kind === 'template') return `the template '${source.location}'`;
  return `the ${source.templates === 1 ? '1 template' : `${source.templates} templates`} of ${source.kind} '${source.location}'`;
}
