import { BudgetEvaluation, ProblemLevel } from '../model';

/** What a check reads: the computed budget before its problems are known. */
export type CheckContext = Omit<BudgetEvaluation, 'problems'>;

/** One finding of a check, before it gets the check's ID and level. */
export interface Finding {
  /** Path of the construct the finding is about. */
  readonly subject: string;
  /** What is wrong in user terms, with the numbers; without the budget's name. */
  readonly message: string;
  /** What to change, as a sentence. */
  readonly fix: string;
}

/** A check: data with a stable ID, a level and a rule; a budget's by default, or one across apps (allocation-join.ts). */
export interface Check<Context = CheckContext> {
  /** Stable, documented, acknowledgeable (warnings): `CB-OVER-CAPACITY`. */
  readonly id: string;
  readonly level: ProblemLevel;
  /** One line: what the check finds. */
  readonly summary: string;
  /** Why it matters. */
  readonly explanation: string;
  readonly run: (context: Context) => readonly Finding[];
  /**
   * Whether a subject has at most one finding of this check, whose message gives figures that move with the budget: a
   * diff then shows such a problem open on both sides with other figures as the same one, still open. @default false
   */
  readonly onePerSubject?: boolean;
}
