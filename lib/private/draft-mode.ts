import { IConstruct } from 'constructs';

/**
 * The context key that turns budget errors into warnings: `cdk synth -c connection-budget:enforce=false`. The templates
 * and the ledger are then written, so `connection-budget report` can show a failing budget; `check` and the pipeline
 * recompute the problems from the templates and still fail on them.
 */
export const ENFORCE_CONTEXT_KEY = 'connection-budget:enforce';

/** What a draft synth says beside each demoted error. */
export const DRAFT_NOTE = `draft synth (${ENFORCE_CONTEXT_KEY}=false): this error does not stop the synth, but connection-budget check and the pipeline fail on it; do not deploy this assembly`;

/**
 * Whether the app synthesizes in draft mode. `-c key=false` arrives as the string 'false'; cdk.json gives a boolean.
 * Any other value is refused rather than guessed, since a typo must not silently turn enforcement off (or on).
 */
export function isDraft(scope: IConstruct): boolean {
  const value: unknown = scope.node.tryGetContext(ENFORCE_CONTEXT_KEY);
  if (value === undefined || value === true || value === 'true') return false;
  if (value === false || value === 'false') return true;
  throw new DraftModeError(`the context value ${ENFORCE_CONTEXT_KEY} is ${JSON.stringify(value)}; it must be true (the default) or false `
    + `(budget errors become warnings, e.g. cdk synth -c ${ENFORCE_CONTEXT_KEY}=false).`);
}

/** A context value for draft mode that is neither true nor false. */
export class DraftModeError extends Error {}
