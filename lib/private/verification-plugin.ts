import { CfnElement, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { LEDGER_METADATA_KEY_PREFIX, parseLedger } from '../budget';
import { storedLedgers } from '../template/budget-resources';
import { readJsonFile } from '../template/read';
import { StackTemplate, TemplateSet } from '../template/template-set';
import { verifyLedger } from '../template/verify';

/** The plugin's name in validation reports: `ConnectionBudgetVerification::CB-LEDGER-DIFFERS`. */
export const VERIFICATION_PLUGIN_NAME = 'ConnectionBudgetVerification';

/** Apps (or roots) that verify their budgets at synthesis already. */
const verifying = new WeakSet<IConstruct>();

/**
 * Verifies every budget of the app against its synthesized templates, once per app: CDK runs validation plugins
 * after the templates are written, so raw overrides, later addEnvironment calls, Aspects and resources the budget
 * never saw are all in what it reads. Problems are fatal (CDK lets no one acknowledge them).
 */
export function verifyAtSynthesis(scope: IConstruct): void {
  const root = scope.node.root;
  if (verifying.has(root)) return;
  verifying.add(root);
  Validations.of(root).addPlugins(new BudgetVerification());
}

class BudgetVerification implements IPolicyValidationPlugin {
  public readonly name = VERIFICATION_PLUGIN_NAME;

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const tree = treeIndex(context.appConstruct);
    const stacks: StackTemplate[] = context.stackTemplates.map((s) => ({
      path: s.stackConstructPath,
      name: tree.stackNames.get(s.stackConstructPath) ?? s.stackConstructPath,
      file: s.templatePath,
      template: readJsonFile(s.templatePath) as Record<string, unknown>,
    }));
    const set = new TemplateSet(stacks, (resource) => tree.l1Paths.get(`${resource.stack.path}|${resource.logicalId}`));
    const violations: PolicyViolation[] = [];
    for (const { key, value, file } of storedLedgers(set, LEDGER_METADATA_KEY_PREFIX)) {
      const stored = parseLedger(value, `the ledger '${key}' in '${file}'`);
      const { ledger } = verifyLedger(stored, set);
      for (const problem of ledger.problems.filter((p) => p.level === 'error')) {
        violations.push({
          ruleName: problem.id,
          description: problem.message,
          fix: problem.fix,
          severity: 'fatal',
          // The report names each violation by a construct; a subject outside the tree is reported on the budget.
          violatingResources: [{ resourceLogicalId: '', templatePath: file, locations: [], constructPath: tree.paths.has(problem.subject) ? problem.subject : key }],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}

/** What the plugin learns from the construct tree: stack names, and the L1 behind each logical ID. */
function treeIndex(app: IConstruct): { stackNames: Map<string, string>; l1Paths: Map<string, string>; paths: Set<string> } {
  const stackNames = new Map<string, string>();
  const l1Paths = new Map<string, string>();
  const paths = new Set<string>();
  for (const construct of app.node.findAll()) {
    paths.add(construct.node.path);
    if (Stack.isStack(construct)) {
      stackNames.set(construct.node.path, construct.resolve(construct.stackName));
    } else if (CfnElement.isCfnElement(construct)) {
      const stack = Stack.of(construct);
      l1Paths.set(`${stack.node.path}|${stack.resolve(construct.logicalId)}`, construct.node.path);
    }
  }
  return { stackNames, l1Paths, paths };
}
