import * as path from 'path';
import {
  CfnElement, IPolicyValidationContext, IPolicyValidationPlugin, NestedStack, PolicyValidationPluginReport, PolicyViolation, Stack, Stage, Validations,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AssembledRecords, assembleRecords, budgetRecord, consumerRecord, forTerminal, LedgerFormatError, LedgerJson } from '../budget';
import { readJsonFile } from '../template/read';
import { StoredRecords, storedRecords } from '../template/records';
import { StackTemplate, TemplateSet } from '../template/template-set';
import { verifyLedger } from '../template/verify';
import { LEDGER_DIFFERS_FIX } from '../budget/checks/ledger-differs';
import { DRAFT_NOTE, isDraft } from './draft-mode';

/** The plugin's name in validation reports: `ConnectionBudgetVerification::CB-LEDGER-DIFFERS`. */
export const VERIFICATION_PLUGIN_NAME = 'ConnectionBudgetVerification';

/** The budgets of each app (by root) that verify at synthesis, with the ledger each computes; the plugin is registered with the first. */
const budgets = new WeakMap<IConstruct, Map<IConstruct, () => LedgerJson>>();

/** The ID of a budget whose ledger is missing from the templates (the plugin's own finding: there is no ledger to hold it). */
export const LEDGER_MISSING = 'CB-LEDGER-MISSING';

/**
 * Verifies every budget of the app against its synthesized templates, once per app: CDK runs validation plugins
 * after the templates are written, so raw overrides, later addEnvironment calls, Aspects and resources the budget
 * never saw are all in what it reads. Problems are fatal (CDK lets no one acknowledge them).
 */
export function verifyAtSynthesis(budget: IConstruct, ledger: () => LedgerJson): void {
  const root = budget.node.root;
  const known = budgets.get(root);
  if (known) {
    known.set(budget, ledger);
    return;
  }
  budgets.set(root, new Map([[budget, ledger]]));
  Validations.of(root).addPlugins(new BudgetVerification());
}

/** The fix for a record something in the app changed: it is the budget's, written whole. */
const RECORD_OVERRIDE_FIX = 'Do not override or remove the ConnectionBudget Metadata of a budget\'s Record or of its consumers\' resources; add Metadata '
  + 'of your own with addMetadata(), not by assigning cfnOptions.metadata, which replaces it.';

/**
 * Said beside a value set around the construct, found at synthesis: the budget's own warnings in the same output count
 * what was registered (a DesiredCount overridden to 50 beside a warning that counts the 4 registered).
 */
const REGISTERED_FIGURES_NOTE = 'Until then, the budget\'s own warnings count what was registered, not what the templates deploy.';

class BudgetVerification implements IPolicyValidationPlugin {
  public readonly name = VERIFICATION_PLUGIN_NAME;

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const tree = treeIndex(context.appConstruct);
    const byPath = new Map<string, StackTemplate>();
    for (const s of context.stackTemplates) {
      byPath.set(s.stackConstructPath, {
        path: s.stackConstructPath,
        name: tree.stackNames.get(s.stackConstructPath) ?? s.stackConstructPath,
        file: s.templatePath,
        template: readJsonFile(s.templatePath) as Record<string, unknown>,
        scope: tree.stageOf.get(s.stackConstructPath),
        dependencies: tree.stackDependencies.get(s.stackConstructPath) ?? [],
      });
    }
    // Nested stacks are assets of their parents, written beside the parent's template: read them too, so a rule
    // or a client hidden in one is seen.
    for (const nested of tree.nestedStacks) {
      const parent = byPath.get(nested.parentPath);
      if (!parent) continue;
      const file = path.join(path.dirname(parent.file), nested.templateFile);
      byPath.set(nested.path, { path: nested.path, name: nested.path, file, template: readJsonFile(file) as Record<string, unknown>, parent: { stack: parent, logicalId: nested.logicalId } });
    }
    const set = new TemplateSet([...byPath.values()], (resource) => tree.l1Paths.get(`${resource.stack.path}|${resource.logicalId}`));
    const violations: PolicyViolation[] = [];
    let stored = new Map<string, StoredRecords>();
    let unreadable: string | undefined;
    try {
      stored = new Map(storedRecords(set).map((r) => [r.assembled.budgetPath, r]));
    } catch (e) {
      // A record something in the app rewrote into what no reader takes: every budget fails on it, with its reason.
      if (!(e instanceof LedgerFormatError)) throw e;
      unreadable = e.message;
    }
    for (const budget of budgetsOf(context.appConstruct)) {
      const computed = budget.ledger();
      const file = byPath.get(budget.stackPath)?.file ?? '';
      const violation = (ruleName: string, description: string, fix: string, constructPath = budget.path): PolicyViolation => ({
        ruleName, description, fix, severity: 'fatal', violatingResources: [{ resourceLogicalId: '', templatePath: file, locations: [], constructPath }],
      });
      if (unreadable !== undefined) {
        violations.push(violation(LEDGER_MISSING, forTerminal(unreadable), RECORD_OVERRIDE_FIX));
        continue;
      }
      // What the CLI and the pipeline rebuild the budget from must be what the budget computed: its records, as written.
      const record = stored.get(budget.path);
      if (!record) {
        violations.push(violation(LEDGER_MISSING, `ConnectionBudget '${forTerminal(budget.path)}': its record is not in the template of its stack '${forTerminal(budget.stackPath)}', so the templates cannot be checked against it.`,
          'Keep the budget\'s Record resource and its Metadata: do not remove it or override its Metadata.'));
        continue;
      }
      const expected = assembleRecords(budgetRecord(computed), computed.consumers.map((c) => ({ path: c.path, resource: c.inputs!.resource, record: consumerRecord(c, computed.inputs!.waves) })));
      const changed = recordDifference(expected, record.assembled);
      if (changed) {
        violations.push(violation(LEDGER_MISSING, `ConnectionBudget '${forTerminal(budget.path)}': ${forTerminal(changed.what)} holds ${forTerminal(changed.templates)} in the `
          + `templates, but the budget computed ${forTerminal(changed.budget)}, so the CLI and the pipeline would rebuild another budget from them.`,
        RECORD_OVERRIDE_FIX));
        continue;
      }
      // Built from CDK's stand-in for a lookup that has not run: the budget reports that itself, and this synth must end
      // without a fatal error for CDK to look the record up and synthesize again.
      if (computed.inputs?.allocation?.pending) continue;
      const { ledger } = verifyLedger(computed, set);
      for (const problem of ledger.problems.filter((p) => p.level === 'error')) {
        // CDK prints the report to a terminal; the messages name paths and names read back from the templates.
        // The report names each violation by a construct; a subject outside the tree is reported on the budget.
        // The budget's warnings were written when it computed, before this read of the templates: say which figures they count.
        const fix = problem.fix === LEDGER_DIFFERS_FIX ? `${problem.fix} ${REGISTERED_FIGURES_NOTE}` : problem.fix;
        violations.push(violation(problem.id, forTerminal(problem.message), forTerminal(fix), constructOf(tree, problem.subject, budget.path)));
      }
    }
    if (isDraft(context.appConstruct)) {
      // The budget's own construct already refused a bad context value; here draft mode only demotes.
      return { success: true, violations: violations.map((v) => ({ ...v, severity: 'warning', description: `${v.description} (${DRAFT_NOTE})` })) };
    }
    return { success: violations.length === 0, violations };
  }
}

/** The construct a problem is about: its subject, or the resource a container's or pool set's consumer path names, or the budget. */
function constructOf(tree: TreeIndex, subject: string, budget: string): string {
  const resource = subject.replace(/(\[[^\]]*\])?(#[^#]*)?$/, '');
  return tree.paths.has(subject) ? subject : tree.paths.has(resource) ? resource : budget;
}

/** What the plugin learns from the construct tree: stack names and stages, nested stacks, and the L1 behind each logical ID. */
interface TreeIndex {
  readonly stackNames: Map<string, string>;
  readonly stageOf: Map<string, string>;
  /** Construct paths of the stacks each stack depends on. */
  readonly stackDependencies: Map<string, string[]>;
  readonly nestedStacks: Array<{ path: string; parentPath: string; logicalId: string; templateFile: string }>;
  readonly l1Paths: Map<string, string>;
  readonly paths: Set<string>;
}

function treeIndex(app: IConstruct): TreeIndex {
  const index: TreeIndex = { stackNames: new Map(), stageOf: new Map(), stackDependencies: new Map(), nestedStacks: [], l1Paths: new Map(), paths: new Set() };
  for (const construct of app.node.findAll()) {
    index.paths.add(construct.node.path);
    if (construct instanceof NestedStack) {
      const resource = construct.nestedStackResource!;
      const parent = Stack.of(resource);
      index.nestedStacks.push({ path: construct.node.path, parentPath: parent.node.path, logicalId: parent.resolve(resource.logicalId), templateFile: construct.templateFile });
    } else if (Stack.isStack(construct)) {
      index.stackNames.set(construct.node.path, construct.resolve(construct.stackName));
      index.stageOf.set(construct.node.path, Stage.of(construct)?.node.path ?? '');
      index.stackDependencies.set(construct.node.path, construct.dependencies.map((d) => d.node.path));
    } else if (CfnElement.isCfnElement(construct)) {
      const stack = Stack.of(construct);
      index.l1Paths.set(`${stack.node.path}|${stack.resolve(construct.logicalId)}`, construct.node.path);
    }
  }
  return index;
}

/** The budgets of the app, the stacks their records belong in, and the ledgers they compute. */
function budgetsOf(app: IConstruct): Array<{ path: string; stackPath: string; ledger: () => LedgerJson }> {
  return [...(budgets.get(app.node.root) ?? [])].map(([b, ledger]) => ({ path: b.node.path, stackPath: Stack.of(b).node.path, ledger }));
}

/** The first value of a budget's records that the templates hold otherwise than the budget computed it; undefined when they agree. */
function recordDifference(expected: AssembledRecords, found: AssembledRecords): { what: string; budget: string; templates: string } | undefined {
  if (found.missing.length > 0) {
    return { what: `the record of '${found.missing[0].path}'`, budget: 'a record', templates: 'none' };
  }
  if (found.unnamed.length > 0) {
    return { what: `the record of '${found.unnamed[0].path}'`, budget: 'none (not one of its consumers)', templates: 'a record' };
  }
  const budget = firstDifference({ inputs: expected.inputs, figures: expected.figures }, { inputs: found.inputs, figures: found.figures }, '');
  if (budget) return { ...budget, what: `the budget's record (${budget.what.slice(1)})` };
  const byPath = (r: AssembledRecords) => Object.fromEntries(r.consumers.map((c) => [c.path, c]));
  const [want, have] = [byPath(expected), byPath(found)];
  for (const path of [...new Set([...Object.keys(want), ...Object.keys(have)])].sort()) {
    const consumer = firstDifference(want[path], have[path], '');
    if (consumer) return { ...consumer, what: `the record of '${path}'${consumer.what && ` (${consumer.what.slice(1)})`}` };
  }
  // The assembled records leave digests out: one overridden alone would make the CLI call an intact record edited.
  const [edited] = found.edited();
  return edited && { what: `the record of '${edited.path}' (digest)`, budget: `digest ${edited.computed}`, templates: edited.held };
}

/** Where two JSON values first differ (objects by sorted keys, arrays by position), with both sides there. */
function firstDifference(a: unknown, b: unknown, at: string): { what: string; budget: string; templates: string } | undefined {
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) {
    return JSON.stringify(a) === JSON.stringify(b) ? undefined : { what: at, budget: JSON.stringify(a) ?? 'nothing', templates: JSON.stringify(b) ?? 'nothing' };
  }
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
  for (const key of keys) {
    const difference = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`);
    if (difference) return difference;
  }
  return undefined;
}
