import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleResult } from 'cdk-nag';

/** A rule of the ConnectionBudget pack: data with an explicit ID suffix (never a function name esbuild may mangle). */
export interface BudgetNagRule {
  /** The rule ID is `ConnectionBudget-<suffix>`. */
  readonly suffix: string;
  readonly level: NagMessageLevel;
  /** One line: what is wrong. */
  readonly info: string;
  /** Why it matters for the connection budget, and the fix. */
  readonly explanation: string;
  readonly check: (node: CfnResource) => NagRuleResult;
}
