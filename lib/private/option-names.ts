import { nearestName } from '../budget';

/** The options every consumer takes (ConsumerOptions). */
const CONSUMER_OPTIONS = ['pool', 'poolsPerProcess', 'overflowPerPool', 'poolSettings', 'minIdleConnections', 'acquireTimeout', 'poolName', 'bypassProxy'];
/** What a ConnectionBudget and a BudgetedDatabase both take. */
const BUDGET_PROPS = ['maxConnections', 'reservations', 'warningThresholdPercent', 'deployInWaves', 'pendingRebootCheck'];

/**
 * The properties of the structs whose values the budget counts, by struct. An app that is not type-checked (JavaScript,
 * `ts-node --transpile-only`) passes a misspelt one without a word, and the budget would count the default instead:
 * `processPerTask: 2` counted one process per task, half the service's worst case. test/private/option-names.test.ts
 * keeps each list equal to its interface.
 */
export const OPTION_NAMES = {
  EcsServiceConsumerOptions: [...CONSUMER_OPTIONS, 'processesPerTask', 'maxTasks', 'containerName'],
  EcsTaskConsumerOptions: [...CONSUMER_OPTIONS, 'maxConcurrentRuns', 'tasksPerRun', 'processesPerTask', 'containerName', 'securityGroups'],
  LambdaFunctionConsumerOptions: [...CONSUMER_OPTIONS, 'maxConcurrency'],
  ConnectionReservation: ['name', 'connections', 'throughProxy', 'clients', 'dataApi'],
  PoolShareOptions: ['weight', 'min', 'max'],
  ConnectionBudgetProps: ['database', 'proxy', ...BUDGET_PROPS],
  ConnectionBudgetFromAllocationProps: ['owningBudgetPath', 'allocationName', 'attributes', 'deployTimeCheck', 'reservations', 'warningThresholdPercent', 'deployInWaves'],
  BudgetedDatabaseProps: [
    'vpc', 'vpcSubnets', 'instanceEngine', 'clusterEngine', 'instanceType', 'serverlessV2MaxCapacityAcu', 'serverlessV2MinCapacityAcu', 'readers', 'multiAz',
    ...BUDGET_PROPS, 'databaseName', 'masterUsername', 'allocatedStorageGiB', 'backupRetention', 'deletionProtection', 'removalPolicy',
    'idleInTransactionSessionTimeout', 'statementTimeout', 'parameters', 'proxyBorrowTimeout', 'proxyIdleClientTimeout', 'proxyIamAuth', 'consumerUsers',
    'secretRotation', 'secretRotationInterval',
  ],
} satisfies Record<string, readonly string[]>;

/**
 * The keys of `given` that its struct does not have, as problems (`unknown option 'processPerTask'; did you mean
 * processesPerTask?`). `what` names a key: an option, a property.
 */
export function unknownKeyProblems(given: unknown, struct: keyof typeof OPTION_NAMES, what: 'option' | 'property'): string[] {
  if (given === null || typeof given !== 'object') return [];
  const known: readonly string[] = OPTION_NAMES[struct];
  return Object.keys(given).filter((key) => !known.includes(key)).map((key) => {
    const near = nearestName(key, known);
    return `unknown ${what} '${key}'${near === undefined ? '' : `; did you mean ${near}?`} (${struct} has no such ${what}, so its value would not be counted)`;
  });
}
