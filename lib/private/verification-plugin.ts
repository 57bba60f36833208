import * as path from 'path';
import {
  CfnElement, IPolicyValidationContext, IPolicyValidationPlugin, NestedStack, PolicyValidationPluginReport, PolicyViolation, Stack, Stage, Validations,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { forTerminal, LEDGER_METADATA_KEY_PREFIX, parseLedger } from '../budget';
import { storedLedgers } from '../template/budget-resources';
import { readJsonFile } from '../template/read';
import { StackTemplate, TemplateSet } from '../template/template-set';
import { verifyLedger } from '../template/verify';
import { DRAFT_NOTE, isDraft } from './draft-mode';

/** The plugin's name in validation reports: `ConnectionBudgetVerification::CB-LEDGER-DIFFERS`. */
export const VERIFICATION_PLUGIN_NAME = 'ConnectionBudgetVerification';

/** The budgets of each app (by root) that verify at synthesis; the plugin is registered with the first. */
const budgets = new WeakMap<IConstruct, Set<IConstruct>>();

/** The ID of a budget whose ledger is missing from the templates (the plugin's own finding: there is no ledger to hold it). */
export const LEDGER_MISSING = 'CB-LEDGER-MISSING';

/**
 * Verifies every budget of the app against its synthesized templates, once per app: CDK runs validation plugins
 * after the templates are written, so raw overrides, later addEnvironment calls, Aspects and resources the budget
 * never saw are all in what it reads. Problems are fatal (CDK lets no one acknowledge them).
 */
export function verifyAtSynthesis(budget: IConstruct): void {
  const root = budget.node.root;
  const known = budgets.get(root);
  if (known) {
    known.add(budget);
    return;
  }
  budgets.set(root, new Set([budget]));
  Validations.of(root).addPlugins(new BudgetVerification());
}

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
    const stored = storedLedgers(set, LEDGER_METADATA_KEY_PREFIX);
    // A budget whose ledger is not in the templates would check nothing: something replaced its stack's Metadata.
    for (const budget of budgetsOf(context.appConstruct)) {
      if (stored.some((l) => l.key === budget.path)) continue;
      violations.push({
        ruleName: LEDGER_MISSING,
        description: `ConnectionBudget '${forTerminal(budget.path)}': its ledger is not in the template of its stack '${forTerminal(budget.stackPath)}', so the templates cannot be checked against it.`,
        fix: 'Add template Metadata with stack.addMetadata() instead of assigning stack.templateOptions.metadata, which replaces the budget\'s.',
        severity: 'fatal',
        violatingResources: [{ resourceLogicalId: '', templatePath: byPath.get(budget.stackPath)?.file ?? '', locations: [], constructPath: budget.path }],
      });
    }
    for (const { key, value, file } of stored) {
      const stored = parseLedger(value, `the ledger '${key}' in '${file}'`);
      // Built from CDK's stand-in for a lookup that has not run: the budget reports that itself, and this synth must end
      // without a fatal error for CDK to look the record up and synthesize again.
      if (stored.inputs?.allocation?.pending) continue;
      const { ledger } = verifyLedger(stored, set);
      for (const problem of ledger.problems.filter((p) => p.level === 'error')) {
        violations.push({
          ruleName: problem.id,
          // CDK prints the report to a terminal; the messages name paths and names read back from the templates.
          description: forTerminal(problem.message),
          fix: forTerminal(problem.fix),
          severity: 'fatal',
          // The report names each violation by a construct; a subject outside the tree is reported on the budget.
          violatingResources: [{ resourceLogicalId: '', templatePath: file, locations: [], constructPath: constructOf(tree, problem.subject, key) }],
        });
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

/** The budgets of the app, and the stacks their ledgers belong in. */
function budgetsOf(app: IConstruct): Array<{ path: string; stackPath: string }> {
  return [...(budgets.get(app.node.root) ?? [])].map((b) => ({ path: b.node.path, stackPath: Stack.of(b).node.path }));
}
