import {
  AssembledRecords, assembleRecords, BudgetRecordJson, compareText, ConsumerRecordJson, FoundConsumerRecord, LedgerFormatError, parseBudgetRecord,
  parseConsumerRecords, RECORD_METADATA_KEY,
} from '../budget';
import { record, StackTemplate, TemplateSet } from './template-set';
import { field } from './values';

/** A budget's records as a set of templates holds them, and the template of its own record. */
export interface StoredRecords {
  readonly assembled: AssembledRecords;
  readonly file: string;
}

/** Records of a budget's consumers in templates that do not hold the budget's own record: a part of an app. */
export interface OrphanedRecords {
  readonly budgetPath: string;
  /** Each consumer whose record names the budget, with the stack that holds the record. */
  readonly consumers: ReadonlyArray<{ readonly path: string; readonly stack: string }>;
}

/**
 * Every budget whose record the templates hold, with its consumers' records from every template of the set (each on
 * its consumer's own resource). Records are input from files: each is checked before use (LedgerFormatError).
 */
export function storedRecords(set: TemplateSet): StoredRecords[] {
  return readRecords(set).stored;
}

/** The budgets storedRecords gives, and the consumers' records whose budget's record the templates lack. */
export function readRecords(set: TemplateSet): { readonly stored: StoredRecords[]; readonly orphaned: OrphanedRecords[] } {
  const budgets: Array<{ record: BudgetRecordJson; file: string }> = [];
  const consumers = new Map<string, Array<{ path: string; stack: StackTemplate; logicalId: string; record: ConsumerRecordJson }>>();
  for (const stack of set.stacks) {
    for (const [logicalId, resource] of Object.entries(record(stack.template.Resources))) {
      const value = field(field(resource, 'Metadata'), RECORD_METADATA_KEY);
      if (value === undefined) continue;
      const where = `the connection budget record on '${logicalId}' in '${stack.file}'`;
      if (field(value, 'budgets') === undefined) {
        const parsed = parseBudgetRecord(value, where);
        const other = budgets.find((b) => b.record.budgetPath === parsed.budgetPath);
        if (other) {
          throw new LedgerFormatError(`budget '${parsed.budgetPath}' has two records, in '${other.file}' and on '${logicalId}' in '${stack.file}'; `
            + 'a budget has one record, on its own Record resource: pass one app\'s templates at a time.');
        }
        requireNamedAfterStack(set, stack, parsed);
        budgets.push({ record: parsed, file: stack.file });
        continue;
      }
      for (const [budgetPath, records] of Object.entries(parseConsumerRecords(value, where).budgets)) {
        const list = consumers.get(budgetPath) ?? [];
        for (const [path, consumer] of Object.entries(records)) list.push({ path, stack, logicalId, record: consumer });
        consumers.set(budgetPath, list);
      }
    }
  }
  const recorded = new Set(budgets.map((b) => b.record.budgetPath));
  const orphaned = [...consumers].filter(([budgetPath]) => !recorded.has(budgetPath)).sort(([a], [b]) => compareText(a, b)).map(([budgetPath, list]) => ({
    budgetPath, consumers: list.map((c) => ({ path: c.path, stack: c.stack.path ?? c.stack.name })).sort((a, b) => compareText(a.path, b.path)),
  }));
  const stored = budgets.map(({ record: budget, file }) => {
    const found: FoundConsumerRecord[] = [];
    const first = new Map<string, { logicalId: string; stack: StackTemplate }>();
    for (const entry of consumers.get(budget.budgetPath) ?? []) {
      // Only the budget's own keys: a record named 'constructor' is not one of its consumers (assembleRecords lists it as unnamed).
      const named = Object.prototype.hasOwnProperty.call(budget.consumers, entry.path) ? budget.consumers[entry.path] : undefined;
      const other = first.get(entry.path);
      if (other) {
        throw new LedgerFormatError(`the consumer '${entry.path}' of budget '${budget.budgetPath}' has two records, on '${other.logicalId}' in '${other.stack.file}' `
          + `and on '${entry.logicalId}' in '${entry.stack.file}'; a consumer's record is on its own resource only.`);
      }
      if (named && entry.stack.path === undefined && named.stackName !== entry.stack.name && !set.stacks.some((s) => s.name === named.stackName)) {
        // Exported templates have no manifest: their files name their stacks, and a file named otherwise reads as another stack.
        throw misnamedTemplate(entry.stack, `the record of the consumer '${entry.path}' of budget '${budget.budgetPath}', whose stack is '${named.stackName}'`, named.stackName);
      }
      first.set(entry.path, entry);
      found.push({ path: entry.path, resource: { stack: entry.stack.path ?? named?.stack ?? entry.stack.name, stackName: entry.stack.name, logicalId: entry.logicalId }, record: entry.record });
    }
    return { assembled: assembleRecords(budget, found), file };
  });
  return { stored, orphaned };
}

/**
 * Fails when the template of a budget's record, read without a manifest (exported), is named otherwise than its stack:
 * its record places its database or proxy in the budget's own stack (whose construct path begins the budget's), which
 * is this template's, under a stack name no template read has, and this template holds a resource of that logical ID.
 * Read as another stack, the budget would find neither, and a diff would compare against nothing.
 */
function requireNamedAfterStack(set: TemplateSet, stack: StackTemplate, budget: BudgetRecordJson): void {
  if (stack.path !== undefined) return;
  for (const located of [budget.inputs.database?.resource, budget.inputs.proxy?.resource]) {
    if (!located || located.stackName === stack.name || set.stacks.some((s) => s.name === located.stackName)) continue;
    // In another stack (its template not given), a resource of the same logical ID here proves nothing: CB-TEMPLATES-MISSING says what is missing.
    if (!budget.budgetPath.startsWith(`${located.stack}/`) || field(stack.template.Resources, located.logicalId) === undefined) continue;
    throw misnamedTemplate(stack, `the record of budget '${budget.budgetPath}' and '${located.logicalId}', which the record places in stack '${located.stackName}'`,
      located.stackName);
  }
}

/** An exported template read as a stack other than the one its records say it is. */
function misnamedTemplate(stack: StackTemplate, holds: string, stackName: string): LedgerFormatError {
  return new LedgerFormatError(`'${stack.file}' holds ${holds}, but no template read is that stack's: a template read from a directory or a file is the `
    + `stack its file is named after, so this one is read as stack '${stack.name}'. Name each exported template after its stack ('${stackName}.json').`);
}
