import { AllocationRecordError, parseAllocationRecord } from '../budget/allocation-record';
import { GuardEvent, GuardProperties, GuardResult, requiredString, shown, wholeNumber } from './guard-event';
import { rollingBack } from './rollback';

/**
 * Deploy-time guard in a team's app that consumes a connection allocation of another app's budget.
 *
 * The team's app is synthesized with the allocation it cached from a context lookup; the owning app may have shrunk
 * the allocation since. CloudFormation resolves the record's SSM parameter when it deploys this resource, so this
 * handler sees the live allocation and fails the deployment while the team's worst case no longer fits in it.
 *
 * It reads the record with the budget core's reader (the same the team's synth uses), imported from its file rather
 * than the core's index so the bundle stays free of everything else.
 */

const GUARD = 'Connection budget allocation guard';

/** What the guard needs of the allocation's target and of the team's budget. */
interface AllocationCheck {
  readonly budgetPath: string;
  readonly owningBudgetPath: string;
  readonly allocationName: string;
  readonly parameterName: string;
  readonly worstCase: number;
  readonly synthesizedConnections: number;
}

export async function handler(event: GuardEvent): Promise<GuardResult> {
  // Deleting the guard removes no connection and must never hold up deleting the stack.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const check = readCheck(event.ResourceProperties);
  const connections = liveConnections(check, event.ResourceProperties.Record);
  const { budgetPath, owningBudgetPath, allocationName, parameterName, worstCase, synthesizedConnections } = check;
  const allocation = `the allocation '${allocationName}' of '${owningBudgetPath}'`;

  if (connections < worstCase && (await letThrough(event, check, connections))) {
    return result(check, connections);
  }
  if (connections < worstCase) {
    const cause =
      connections === synthesizedConnections
        ? `This app was synthesized with this same allocation of ${connections}, so its synth check should have ` +
          `refused the worst case: lower its consumers' worst case, or ask the owning team for ${worstCase} ` +
          `connections.`
        : `This app was synthesized with ${synthesizedConnections}: the owning app changed the allocation after this ` +
          `app cached it. Refresh the cached lookup (find its key with 'cdk context', remove it with ` +
          `'cdk context --reset <key>', then run 'cdk synth' with credentials) so the budget sizes the pools for ` +
          `${connections}, or ask the owning team for ${worstCase} connections.`;
    throw new Error(
      `Connection budget '${budgetPath}': its worst case of ${worstCase} connections exceeds ${allocation}, which is ` +
        `now ${connections} connections (SSM parameter '${parameterName}'). ${cause} No consumer was updated.`,
    );
  }

  if (connections !== synthesizedConnections) {
    // Nothing fails, but the pools are sized for a number that is no longer the allocation; the function's log is
    // the only place a passing deployment can say so.
    console.log(
      `Connection budget '${budgetPath}': ${allocation} is now ${connections} connections (SSM parameter ` +
        `'${parameterName}'), this app was synthesized with ${synthesizedConnections}; its worst case of ` +
        `${worstCase} still fits. Refresh the cached lookup so the budget sizes the pools for ${connections}.`,
    );
  }

  return result(check, connections);
}

function result({ budgetPath, owningBudgetPath, allocationName, worstCase }: AllocationCheck, connections: number): GuardResult {
  return {
    PhysicalResourceId: `${budgetPath}|${owningBudgetPath}|${allocationName}`,
    Data: {
      Connections: String(connections),
      WorstCase: String(worstCase),
      Headroom: String(connections - worstCase),
    },
  };
}

/**
 * A deployment over the live allocation that the guard still lets through, saying so in its log: one that does not
 * raise the team's worst case (it asks for no more than already runs, and may be the fix), and CloudFormation's
 * rollback to what ran before (refusing it would leave the stack in UPDATE_ROLLBACK_FAILED).
 */
async function letThrough(event: GuardEvent, check: AllocationCheck, connections: number): Promise<boolean> {
  const previous = event.RequestType === 'Update' ? wholeNumber(event.OldResourceProperties, 'WorstCase', `${GUARD} (previous properties)`) : undefined;
  const reason = previous !== undefined && check.worstCase <= previous ? `does not raise it (${previous} before)`
    : (await rollingBack(event.StackId)) ? 'is CloudFormation rolling back to what ran before' : undefined;
  if (reason === undefined) return false;
  console.log(`Connection budget '${check.budgetPath}': its worst case of ${check.worstCase} connections exceeds the allocation '${check.allocationName}' `
    + `of '${check.owningBudgetPath}', now ${connections} connections; the guard lets this deployment through because it ${reason}.`);
  return true;
}

function readCheck(properties: GuardProperties): AllocationCheck {
  return {
    budgetPath: requiredString(properties, 'BudgetPath', GUARD),
    owningBudgetPath: requiredString(properties, 'OwningBudgetPath', GUARD),
    allocationName: requiredString(properties, 'AllocationName', GUARD),
    parameterName: requiredString(properties, 'ParameterName', GUARD),
    worstCase: wholeNumber(properties, 'WorstCase', GUARD),
    synthesizedConnections: wholeNumber(properties, 'SynthesizedConnections', GUARD),
  };
}

/** The connections of the record CloudFormation resolved from the SSM parameter, read as the team's synth reads it. */
function liveConnections(check: AllocationCheck, rawRecord: unknown): number {
  const { budgetPath, owningBudgetPath, allocationName, parameterName } = check;
  if (typeof rawRecord !== 'string' || rawRecord === '') {
    throw new Error(`Connection budget '${budgetPath}': the record of the allocation '${allocationName}' of '${owningBudgetPath}' (SSM parameter `
      + `'${parameterName}') arrived as ${shown(rawRecord)} in property Record instead of the parameter's JSON. No consumer was updated.`);
  }
  try {
    return parseAllocationRecord(rawRecord, `the SSM parameter '${parameterName}'`, { budgetPath: owningBudgetPath, allocation: allocationName }).connections;
  } catch (e) {
    if (e instanceof AllocationRecordError) throw new Error(`Connection budget '${budgetPath}': ${e.message} No consumer was updated.`, { cause: e });
    throw e;
  }
}
