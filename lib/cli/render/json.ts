import { BudgetDiff, GuardrailViolation, LedgerJson, sortKeysDeep } from '../../budget';
import { CheckResult, diffSummary, reportSummary } from './summary';

/**
 * JSON output of the CLI: one documented envelope per command (README, "CLI JSON output"), keys sorted,
 * versioned like the ledger so a script can refuse a layout it does not know.
 */
export const OUTPUT_SCHEMA_VERSION = 1;

/** `connection-budget report --format json`. */
export interface ReportJson {
  readonly schema: 'cdk-connection-budget/report';
  readonly schemaVersion: number;
  /** The one-line summary the text report ends with. */
  readonly summary: string;
  /** Every ledger read, sorted by budget path. */
  readonly budgets: readonly LedgerJson[];
}

/** `connection-budget diff --format json`. */
export interface DiffJson {
  readonly schema: 'cdk-connection-budget/diff';
  readonly schemaVersion: number;
  readonly summary: string;
  readonly diff: BudgetDiff;
}

/** `connection-budget check --format json`. */
export interface CheckJson {
  readonly schema: 'cdk-connection-budget/check';
  readonly schemaVersion: number;
  readonly passed: boolean;
  /** The guardrails applied, in words. */
  readonly guardrails: readonly string[];
  readonly violations: readonly GuardrailViolation[];
  readonly summary: string;
  /** The diff from the base; null without --base. */
  readonly diff: BudgetDiff | null;
  readonly budgets: readonly LedgerJson[];
}

export function reportJson(ledgers: readonly LedgerJson[]): string {
  const output: ReportJson = { schema: 'cdk-connection-budget/report', schemaVersion: OUTPUT_SCHEMA_VERSION, summary: reportSummary(ledgers), budgets: ledgers };
  return stringify(output);
}

export function diffJson(diff: BudgetDiff): string {
  const output: DiffJson = { schema: 'cdk-connection-budget/diff', schemaVersion: OUTPUT_SCHEMA_VERSION, summary: diffSummary(diff), diff };
  return stringify(output);
}

export function checkJson(result: CheckResult): string {
  const output: CheckJson = {
    schema: 'cdk-connection-budget/check',
    schemaVersion: OUTPUT_SCHEMA_VERSION,
    passed: result.violations.length === 0,
    guardrails: result.guardrails,
    violations: result.violations,
    summary: result.diff ? diffSummary(result.diff) : reportSummary(result.head),
    diff: result.diff ?? null,
    budgets: result.head,
  };
  return stringify(output);
}

function stringify(value: unknown): string {
  return `${JSON.stringify(sortKeysDeep(value), undefined, 2)}\n`;
}
