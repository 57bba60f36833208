import { AllocationChange, AllocationJoin, BudgetDiff, forJson, forTerminal, GuardrailViolation, hasAllocations, LedgerJson, sortKeysDeep } from '../../budget';
import { CheckResult, diffSummary, reportSummary } from './summary';

/**
 * JSON output of the CLI: one documented envelope per command (docs/cli.md, "JSON output"), keys sorted,
 * versioned like the ledger so a script can refuse a layout it does not know. Names are data here and stay exact:
 * JSON.stringify and forJson write every control character as an escape a parser reads back. Only the summaries
 * are text for people (the pipeline step's approval message is one), so they are escaped as the text report's.
 */
export const OUTPUT_SCHEMA_VERSION = 1;

/** `connection-budget report --format json`. */
export interface ReportJson {
  readonly schema: 'cdk-connection-budget/report';
  readonly schemaVersion: number;
  /** The one-line summary the text report ends with, its names escaped as there. */
  readonly summary: string;
  /** Every ledger read, sorted by budget path. */
  readonly budgets: readonly LedgerJson[];
  /** The allocations joined across the apps read; absent when no budget grants or uses one. */
  readonly allocations?: AllocationJoin;
}

/** `connection-budget diff --format json`. */
export interface DiffJson {
  readonly schema: 'cdk-connection-budget/diff';
  readonly schemaVersion: number;
  readonly summary: string;
  readonly diff: BudgetDiff;
  /** Allocations whose grant or use differs between the base and the head; absent when none does. */
  readonly allocationChanges?: readonly AllocationChange[];
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
  /** The head's allocations joined across the apps read; absent when no budget grants or uses one. */
  readonly allocations?: AllocationJoin;
}

export function reportJson(ledgers: readonly LedgerJson[], allocations?: AllocationJoin): string {
  const output: ReportJson = {
    schema: 'cdk-connection-budget/report',
    schemaVersion: OUTPUT_SCHEMA_VERSION,
    summary: forTerminal(reportSummary(ledgers, allocations)),
    budgets: ledgers,
    allocations: shown(allocations),
  };
  return stringify(output);
}

export function diffJson(diff: BudgetDiff, allocationChanges: readonly AllocationChange[] = []): string {
  const output: DiffJson = {
    schema: 'cdk-connection-budget/diff',
    schemaVersion: OUTPUT_SCHEMA_VERSION,
    summary: forTerminal(diffSummary(diff)),
    diff,
    allocationChanges: allocationChanges.length > 0 ? allocationChanges : undefined,
  };
  return stringify(output);
}

export function checkJson(result: CheckResult): string {
  const output: CheckJson = {
    schema: 'cdk-connection-budget/check',
    schemaVersion: OUTPUT_SCHEMA_VERSION,
    passed: result.violations.length === 0,
    guardrails: result.guardrails,
    violations: result.violations,
    summary: forTerminal(result.diff ? diffSummary(result.diff) : reportSummary(result.head, result.allocations)),
    diff: result.diff ?? null,
    budgets: result.head,
    allocations: shown(result.allocations),
  };
  return stringify(output);
}

/** The join when it has anything to show: a single app's output stays as it was before apps were joined. */
function shown(allocations: AllocationJoin | undefined): AllocationJoin | undefined {
  return allocations && hasAllocations(allocations) ? allocations : undefined;
}

/** A command's JSON output: sorted keys; an absent (undefined) field is left out. */
export function stringify(value: unknown): string {
  return `${forJson(JSON.stringify(sortKeysDeep(value), undefined, 2))}\n`;
}
