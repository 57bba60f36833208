import { LedgerDifference, LedgerJson } from '../budget';
import { GatheredConsumer } from './gather-consumers';
import { TemplateSet } from './template-set';
import { describeValue, field } from './values';

/** The custom resource type of a team budget's deploy-time guard (lib/constructs/allocation-guard.ts writes it). */
const ALLOCATION_GUARD_TYPE = 'Custom::ConnectionBudgetAllocationGuard';

/**
 * A team budget's deploy-time guard as the templates deploy it: exactly one, carrying the rebuilt worst case, the
 * synthesized allocation and the live record's dynamic reference, and every consumer in its stack depending on it.
 * An override of any of these, or a guard removed, would let a deployment past a shrunk allocation.
 */
export function allocationGuardDifferences(stored: Pick<LedgerJson, 'budgetPath' | 'inputs'>, rebuilt: LedgerJson, set: TemplateSet, consumers: readonly GatheredConsumer[]): LedgerDifference[] {
  const allocation = stored.inputs?.allocation;
  if (!allocation?.deployTimeCheck || allocation.pending) return [];
  const subject = stored.budgetPath;
  const what = `the deploy-time guard of '${subject}'`;
  const guards = set.all(ALLOCATION_GUARD_TYPE).filter((g) => field(g.properties, 'BudgetPath') === subject);
  if (guards.length !== 1) {
    return [{ subject, what, ledger: `one ${ALLOCATION_GUARD_TYPE}`, templates: guards.length === 0 ? 'none' : `${guards.length}` }];
  }
  const [guard] = guards;
  const expected: Record<string, string> = {
    WorstCase: String(rebuilt.totals.demand + (rebuilt.capacity?.reservedTotal ?? 0)),
    SynthesizedConnections: String(allocation.connections),
    OwningBudgetPath: allocation.budgetPath,
    AllocationName: allocation.name,
    Record: `{{resolve:ssm:${allocation.parameterName}}}`,
  };
  const differences: LedgerDifference[] = Object.entries(expected)
    .filter(([name, value]) => field(guard.properties, name) !== value)
    .map(([name, value]) => ({ subject, what: `the ${name} of ${what}`, ledger: value, templates: describeValue(field(guard.properties, name)) }));
  // Across stacks CloudFormation orders the stacks themselves; within the guard's stack each consumer must wait for it.
  for (const consumer of consumers) {
    const resource = consumer.resource;
    if (!resource || resource.stack !== guard.stack) continue;
    const dependsOn = field(field(field(resource.stack.template, 'Resources'), resource.logicalId), 'DependsOn');
    const waits = Array.isArray(dependsOn) ? dependsOn.includes(guard.logicalId) : dependsOn === guard.logicalId;
    if (!waits) {
      differences.push({ subject: consumer.stored.path, what: `the dependency of '${consumer.stored.path}' on ${what}`, ledger: 'DependsOn the guard', templates: 'none' });
    }
  }
  return differences;
}
