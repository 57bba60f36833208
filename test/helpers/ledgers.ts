import { Stage } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { LedgerJson } from '../../lib/budget';
import { readBudgets } from '../../lib/cli/read-budgets';

/**
 * A budget's ledger as the templates give it: rebuilt from its records and the synthesized templates, as the CLI and
 * the pipeline rebuild it (the templates store records, not the ledger). Given a construct, synthesizes its stage (an
 * app's synth is cached, so a test that synthesized already reads the same assembly). Without a path, the only budget.
 */
export function ledgerOf(source: IConstruct | CloudAssembly, budgetPath?: string): LedgerJson {
  const assembly = source instanceof CloudAssembly ? source : (Stage.isStage(source) ? source : Stage.of(source)!).synth();
  const budgets = readBudgets(assembly.directory).budgets.map((b) => b.ledger);
  const found = budgetPath === undefined ? (budgets.length === 1 ? budgets[0] : undefined) : budgets.find((b) => b.budgetPath === budgetPath);
  if (!found) throw new Error(`no budget ${budgetPath === undefined ? '(or several)' : `'${budgetPath}'`} in ${assembly.directory}`);
  return found;
}
