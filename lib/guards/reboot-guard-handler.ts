import {
  DBCluster,
  DBInstance,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GuardEvent, GuardResult, optionalString, requiredString, stringList, wholeNumber } from './guard-event';
import { rollingBack } from './rollback';

/**
 * Deploy-time guard in the app that owns a budget's database.
 *
 * max_connections is a static parameter: after a parameter group change, RDS reports the group as 'pending-reboot'
 * (or 'applying') and keeps the old value until the instance reboots. The budget already counts on the new value, so
 * a deployment that grows the consumers' worst case before the reboot can exhaust the database. This handler fails
 * such a deployment and says which instances to reboot.
 */

// Created once per Lambda container so warm invocations reuse its connections; tests mock it (aws-sdk-client-mock).
const rds = new RDSClient({});

/** Parameter group statuses under which RDS has not yet put the group's values into effect. */
const NOT_IN_EFFECT = new Set(['pending-reboot', 'applying']);

const GUARD = 'Connection budget reboot guard';

/** An instance on which a parameter change waits, and why: one entry per parameter group not in effect. */
interface PendingInstance {
  readonly identifier: string;
  readonly reasons: readonly string[];
}

export async function handler(event: GuardEvent): Promise<GuardResult> {
  // Deleting the guard removes no connection and must never hold up deleting the stack.
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const properties = event.ResourceProperties;
  const budgetPath = requiredString(properties, 'BudgetPath', GUARD);
  const worstCase = wholeNumber(properties, 'WorstCase', GUARD);
  const maxConnections = wholeNumber(properties, 'MaxConnections', GUARD);
  const instanceIdentifiers = stringList(properties, 'DbInstanceIdentifiers', GUARD);
  const clusterIdentifier = optionalString(properties, 'DbClusterIdentifier', GUARD);
  if (instanceIdentifiers.length === 0 && clusterIdentifier === undefined) {
    throw new Error(
      `${GUARD}: properties DbInstanceIdentifiers and DbClusterIdentifier are both empty; one must name the database.`,
    );
  }
  const result = { PhysicalResourceId: `${budgetPath}|reboot-guard` };

  // On Create there is no earlier worst case to grow from; on an Update that does not grow it, the consumers ask
  // for no more than the database already served, whatever value is in effect.
  if (event.RequestType === 'Create') return result;
  const previousWorstCase = wholeNumber(event.OldResourceProperties, 'WorstCase', `${GUARD} (previous properties)`);
  if (worstCase <= previousWorstCase) return result;

  const context = { budgetPath, maxConnections };
  const pending = await pendingInstances(instanceIdentifiers, clusterIdentifier, context);
  if (pending.length === 0) return result;
  if (await rollingBack(event.StackId)) {
    console.log(`Connection budget '${budgetPath}': a parameter change waits for a reboot, but CloudFormation is rolling back to the `
      + `worst case of ${worstCase} connections it deployed before; the guard lets the rollback through.`);
    return result;
  }

  const several = pending.length > 1;
  const described = pending.map(({ identifier, reasons }) => `DB instance '${identifier}' (${reasons.join('; ')})`);
  const commands = pending.map(({ identifier }) => `aws rds reboot-db-instance --db-instance-identifier ${identifier}`);
  throw new Error(
    `Connection budget '${budgetPath}': this deployment raises the worst case from ${previousWorstCase} to ` +
      `${worstCase} connections and the budget assumes max_connections = ${maxConnections}, but a parameter change ` +
      `is not in effect yet on ${described.join(', ')}. max_connections is a static parameter: RDS applies it only ` +
      `when the instance reboots, and until then the database may refuse connections the budget counts on. ` +
      `Reboot ${several ? 'the instances' : 'the instance'} so the new max_connections takes effect ` +
      `(${commands.join('; ')}), wait until ${several ? 'their' : 'its'} parameter groups are in-sync, then deploy ` +
      `again. No consumer was updated.`,
  );
}

/** What the not-found errors name besides the missing database. */
interface GuardContext {
  readonly budgetPath: string;
  readonly maxConnections: number;
}

/** The instances, named or members of the cluster, on which a parameter group is not in effect. */
async function pendingInstances(
  instanceIdentifiers: readonly string[],
  clusterIdentifier: string | undefined,
  context: GuardContext,
): Promise<PendingInstance[]> {
  const reasonsByInstance = new Map<string, string[]>(instanceIdentifiers.map((identifier) => [identifier, []]));

  if (clusterIdentifier !== undefined) {
    const cluster = await describeCluster(clusterIdentifier, context);
    for (const member of cluster.DBClusterMembers ?? []) {
      // Only the instances the app defines: the function may describe those alone, and a reader added outside the app
      // (Aurora auto scaling) is not among the instances the budget counted.
      const reasons = member.DBInstanceIdentifier === undefined ? undefined : reasonsByInstance.get(member.DBInstanceIdentifier);
      if (reasons === undefined) continue;
      // The cluster parameter group can set max_connections too; each member reports whether it has applied it.
      const status = member.DBClusterParameterGroupStatus;
      if (isNotInEffect(status)) {
        const group = cluster.DBClusterParameterGroup;
        reasons.push(`cluster parameter group '${group}' of DB cluster '${clusterIdentifier}' is ${status}`);
      }
    }
  }

  await Promise.all(
    [...reasonsByInstance].map(async ([identifier, reasons]) => {
      const instance = await describeInstance(identifier, context);
      for (const group of instance.DBParameterGroups ?? []) {
        const status = group.ParameterApplyStatus;
        if (isNotInEffect(status)) reasons.push(`parameter group '${group.DBParameterGroupName}' is ${status}`);
      }
    }),
  );

  return [...reasonsByInstance]
    .filter(([, reasons]) => reasons.length > 0)
    .map(([identifier, reasons]) => ({ identifier, reasons }));
}

function isNotInEffect(status: string | undefined): status is string {
  return status !== undefined && NOT_IN_EFFECT.has(status);
}

async function describeCluster(identifier: string, context: GuardContext): Promise<DBCluster> {
  return describeDatabase(`DB cluster '${identifier}'`, 'DBClusterNotFoundFault', context, async () => {
    const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
    return DBClusters?.[0];
  });
}

async function describeInstance(identifier: string, context: GuardContext): Promise<DBInstance> {
  return describeDatabase(`DB instance '${identifier}'`, 'DBInstanceNotFoundFault', context, async () => {
    const { DBInstances } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    return DBInstances?.[0];
  });
}

/**
 * Runs one Describe call; a database that is not there, and any other failure, become an error that says which
 * budget and which database the guard was checking.
 */
async function describeDatabase<T>(
  what: string,
  notFoundFault: string,
  context: GuardContext,
  call: () => Promise<T | undefined>,
): Promise<T> {
  let found: T | undefined;
  try {
    found = await call();
  } catch (error) {
    if ((error as Error).name !== notFoundFault) {
      throw new Error(
        `Connection budget '${context.budgetPath}': the reboot guard could not describe ${what}: ` +
          `${(error as Error).message}. No consumer was updated.`,
        { cause: error },
      );
    }
  }
  if (found === undefined) {
    throw new Error(
      `Connection budget '${context.budgetPath}': ${what} was not found in this account and region, so the reboot ` +
        `guard cannot tell whether max_connections = ${context.maxConnections} is in effect on it. Check the ` +
        `identifier the budget's database gives the guard. No consumer was updated.`,
    );
  }
  return found;
}
