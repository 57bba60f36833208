import { BudgetEvaluation, Problem } from '../model';
import { allocationNotLookedUp } from './allocation-not-looked-up';
import { Check, CheckContext, Finding } from './check';
import { estimatedMaxConnections } from './estimated-max-connections';
import { invalidValue } from './invalid-value';
import { maxConnectionsClaim } from './max-connections-claim';
import { nearCapacity } from './near-capacity';
import { noConsumers } from './no-consumers';
import { openClient } from './open-client';
import { overCapacity } from './over-capacity';
import { proxyAboveUsable } from './proxy-above-usable';
import { proxyTargetMismatch } from './proxy-target-mismatch';
import { reservationsExceedCapacity } from './reservations-exceed-capacity';
import { sharesCapped } from './shares-capped';
import { ledgerDiffers } from './ledger-differs';
import { unattributedScalableTarget } from './unattributed-scalable-target';
import { unboundedLambda } from './unbounded-lambda';
import { unbudgetedClient } from './unbudgeted-client';
import { unbudgetedIngress } from './unbudgeted-ingress';
import { unknownMaxConnections } from './unknown-max-connections';
import { templatesMissing } from './templates-missing';
import { tlsNotRequired } from './tls-not-required';
import { unresolvedValue } from './unresolved-value';
import { variableOverwritten } from './variable-overwritten';
import { wrongRoute } from './wrong-route';

export type { Check, CheckContext, Finding } from './check';
export { describeRange, isOpenRange } from './open-client';

/** Every budget check, in the order their problems are reported (errors are reported before warnings). */
export const CHECKS: readonly Check[] = [
  allocationNotLookedUp,
  templatesMissing,
  unresolvedValue,
  invalidValue,
  maxConnectionsClaim,
  unboundedLambda,
  unbudgetedIngress,
  unbudgetedClient,
  openClient,
  wrongRoute,
  unattributedScalableTarget,
  variableOverwritten,
  ledgerDiffers,
  unknownMaxConnections,
  proxyTargetMismatch,
  reservationsExceedCapacity,
  overCapacity,
  nearCapacity,
  sharesCapped,
  estimatedMaxConnections,
  proxyAboveUsable,
  tlsNotRequired,
  noConsumers,
];

/** Runs every check: errors first, then warnings, each in registry order. */
export function runChecks(context: CheckContext): BudgetEvaluation['problems'] {
  return runCheckList(CHECKS, context, () => context.path);
}

/**
 * Runs a registry of checks, each finding named by the budget it is about (`budgetOf`): errors first, then warnings,
 * each in registry order. The budget's checks and the join across apps (allocation-join.ts) share it.
 */
export function runCheckList<Context>(checks: ReadonlyArray<Check<Context>>, context: Context, budgetOf: (finding: Finding) => string): Problem[] {
  return errorsFirst(checks.flatMap((check) => check.run(context).map((f): Problem => ({
    id: check.id,
    level: check.level,
    subject: f.subject,
    message: `ConnectionBudget '${budgetOf(f)}': ${f.message}`,
    fix: f.fix,
  }))));
}

/** Errors, then warnings, each group in the order given: how every list of problems is reported. */
export function errorsFirst(problems: readonly Problem[]): Problem[] {
  return [...problems.filter((p) => p.level === 'error'), ...problems.filter((p) => p.level === 'warning')];
}
