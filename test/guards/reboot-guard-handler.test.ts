import {
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { GuardEvent, GuardProperties } from '../../lib/guards/guard-event';
import { handler } from '../../lib/guards/reboot-guard-handler';

const rdsMock = mockClient(RDSClient);
beforeEach(() => rdsMock.reset());

const PHYSICAL_ID = 'Platform/Data/Budget|reboot-guard';

function properties(overrides: Record<string, unknown> = {}): GuardProperties {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider',
    BudgetPath: 'Platform/Data/Budget',
    WorstCase: '480',
    MaxConnections: '500',
    DbInstanceIdentifiers: ['db-1'],
    ...overrides,
  };
}

/** An Update from a worst case of 400 (or `previousWorstCase`) to the properties given. */
function update(overrides: Record<string, unknown> = {}, previousWorstCase = '400'): GuardEvent {
  return {
    RequestType: 'Update',
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: properties(overrides),
    OldResourceProperties: properties({ ...overrides, WorstCase: previousWorstCase }),
  };
}

/** Answers DescribeDBInstances for one instance with the apply status of each of its parameter groups. */
function instance(identifier: string, groups: Record<string, string>): void {
  rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: identifier }).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: identifier,
        DBParameterGroups: Object.entries(groups).map(([name, status]) => ({
          DBParameterGroupName: name,
          ParameterApplyStatus: status,
        })),
      },
    ],
  });
}

/** Answers DescribeDBClusters for cluster 'data' with each member's cluster parameter group status. */
function cluster(members: Record<string, string>): void {
  rdsMock.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'data' }).resolves({
    DBClusters: [
      {
        DBClusterIdentifier: 'data',
        DBClusterParameterGroup: 'data-cluster-params',
        DBClusterMembers: Object.entries(members).map(([identifier, status], index) => ({
          DBInstanceIdentifier: identifier,
          IsClusterWriter: index === 0,
          DBClusterParameterGroupStatus: status,
        })),
      },
    ],
  });
}

const describedInstances = (): unknown[] =>
  rdsMock.commandCalls(DescribeDBInstancesCommand).map((call) => call.args[0].input.DBInstanceIdentifier);

/** The failure's text around what differs from one case to the next. */
function notInEffect(on: string, reboot: string, rest = "its parameter groups are in-sync, then deploy again."): string {
  return (
    "Connection budget 'Platform/Data/Budget': this deployment raises the worst case from 400 to 480 connections " +
    `and the budget assumes max_connections = 500, but a parameter change is not in effect yet on ${on}. ` +
    'max_connections is a static parameter: RDS applies it only when the instance reboots, and until then the ' +
    `database may refuse connections the budget counts on. ${reboot}, wait until ${rest} No consumer was updated.`
  );
}

describe('reboot guard: a growing worst case against parameter groups', () => {
  test.each(['pending-reboot', 'applying'])('fails while the instance parameter group is %s', async (status) => {
    instance('db-1', { 'data-params': status });
    await expect(handler(update())).rejects.toThrow(
      new Error(
        notInEffect(
          `DB instance 'db-1' (parameter group 'data-params' is ${status})`,
          'Reboot the instance so the new max_connections takes effect ' +
            '(aws rds reboot-db-instance --db-instance-identifier db-1)',
        ),
      ),
    );
  });

  test('names every instance waiting for a reboot, and only those', async () => {
    instance('db-1', { 'data-params': 'pending-reboot', 'audit-params': 'in-sync' });
    instance('db-2', { 'data-params': 'in-sync' });
    instance('db-3', { 'data-params': 'applying' });
    await expect(handler(update({ DbInstanceIdentifiers: ['db-1', 'db-2', 'db-3'] }))).rejects.toThrow(
      new Error(
        notInEffect(
          "DB instance 'db-1' (parameter group 'data-params' is pending-reboot), " +
            "DB instance 'db-3' (parameter group 'data-params' is applying)",
          'Reboot the instances so the new max_connections takes effect ' +
            '(aws rds reboot-db-instance --db-instance-identifier db-1; ' +
            'aws rds reboot-db-instance --db-instance-identifier db-3)',
          'their parameter groups are in-sync, then deploy again.',
        ),
      ),
    );
  });

  test('passes when every parameter group is in-sync', async () => {
    instance('db-1', { 'data-params': 'in-sync' });
    await expect(handler(update())).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(describedInstances()).toEqual(['db-1']);
  });

  test.each([
    ['an equal worst case', '480'],
    ['a shrinking worst case', '600'],
  ])('passes %s without calling RDS, even with a reboot pending', async (_name, previousWorstCase) => {
    instance('db-1', { 'data-params': 'pending-reboot' });
    await expect(handler(update({}, previousWorstCase))).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(rdsMock.calls().length).toBe(0);
  });
});

describe('reboot guard: a cluster', () => {
  test("reads the cluster's members, then each member's instance", async () => {
    cluster({ 'data-1': 'in-sync', 'data-2': 'pending-reboot' });
    instance('data-1', { 'data-instance-params': 'pending-reboot' });
    instance('data-2', { 'data-instance-params': 'in-sync' });
    await expect(handler(update({ DbInstanceIdentifiers: ['data-1', 'data-2'], DbClusterIdentifier: 'data' }))).rejects.toThrow(
      new Error(
        notInEffect(
          "DB instance 'data-1' (parameter group 'data-instance-params' is pending-reboot), DB instance 'data-2' " +
            "(cluster parameter group 'data-cluster-params' of DB cluster 'data' is pending-reboot)",
          'Reboot the instances so the new max_connections takes effect ' +
            '(aws rds reboot-db-instance --db-instance-identifier data-1; ' +
            'aws rds reboot-db-instance --db-instance-identifier data-2)',
          'their parameter groups are in-sync, then deploy again.',
        ),
      ),
    );
    expect(rdsMock.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
    expect(describedInstances()).toEqual(['data-1', 'data-2']);
  });

  test('judges only the members the app defines: a reader added outside it is neither counted nor described', async () => {
    cluster({ 'data-1': 'in-sync', 'application-autoscaling-reader': 'pending-reboot' });
    instance('data-1', { 'data-instance-params': 'in-sync' });
    const event = update({ DbInstanceIdentifiers: ['data-1'], DbClusterIdentifier: 'data' });
    await expect(handler(event)).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(describedInstances()).toEqual(['data-1']);
  });
});

describe('reboot guard: a database it cannot see', () => {
  test('an instance that is not found', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'DBInstance db-9 not found.', $metadata: {} }));
    await expect(handler(update({ DbInstanceIdentifiers: ['db-9'] }))).rejects.toThrow(
      new Error(
        "Connection budget 'Platform/Data/Budget': DB instance 'db-9' was not found in this account and region, so " +
          'the reboot guard cannot tell whether max_connections = 500 is in effect on it. Check the identifier the ' +
          "budget's database gives the guard. No consumer was updated.",
      ),
    );
  });

  test('a cluster that is not found', async () => {
    rdsMock
      .on(DescribeDBClustersCommand)
      .rejects(new DBClusterNotFoundFault({ message: 'DBCluster data not found.', $metadata: {} }));
    await expect(handler(update({ DbInstanceIdentifiers: [], DbClusterIdentifier: 'data' }))).rejects.toThrow(
      new Error(
        "Connection budget 'Platform/Data/Budget': DB cluster 'data' was not found in this account and region, so " +
          'the reboot guard cannot tell whether max_connections = 500 is in effect on it. Check the identifier the ' +
          "budget's database gives the guard. No consumer was updated.",
      ),
    );
    expect(describedInstances()).toEqual([]);
  });

  test('any other failure says which database the guard was describing', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: rds:DescribeDBInstances'), {
      name: 'AccessDenied',
    });
    rdsMock.on(DescribeDBInstancesCommand).rejects(denied);
    const failure = handler(update());
    await expect(failure).rejects.toHaveProperty('message',
      "Connection budget 'Platform/Data/Budget': the reboot guard could not describe DB instance 'db-1': " +
        'User is not authorized to perform: rds:DescribeDBInstances. No consumer was updated.');
    // The SDK's own error stays attached, for the function's log.
    await expect(failure).rejects.toHaveProperty('cause', denied);
  });
});

describe('reboot guard: requests that call nothing, and properties', () => {
  test('Create passes without calling RDS', async () => {
    instance('db-1', { 'data-params': 'pending-reboot' });
    await expect(handler({ RequestType: 'Create', ResourceProperties: properties() })).resolves.toEqual({
      PhysicalResourceId: PHYSICAL_ID,
    });
    expect(rdsMock.calls().length).toBe(0);
  });

  test('Delete passes without calling RDS or reading its properties', async () => {
    const event: GuardEvent = { RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID, ResourceProperties: {} };
    await expect(handler(event)).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(rdsMock.calls().length).toBe(0);
  });

  const guard = 'Connection budget reboot guard';
  test.each([
    ['a non-numeric WorstCase', { WorstCase: 'lots' },
      `${guard}: property WorstCase must be a whole number of connections (0 or more), got "lots".`],
    ['a negative MaxConnections', { MaxConnections: '-1' },
      `${guard}: property MaxConnections must be a whole number of connections (0 or more), got "-1".`],
    ['a missing MaxConnections', { MaxConnections: undefined },
      `${guard}: property MaxConnections must be a whole number of connections (0 or more), got nothing.`],
    ['a missing BudgetPath', { BudgetPath: undefined }, `${guard}: property BudgetPath must be a non-empty string, got nothing.`],
    ['instance identifiers that are not a list', { DbInstanceIdentifiers: 'db-1' },
      `${guard}: property DbInstanceIdentifiers must be a list of non-empty strings, got "db-1".`],
    ['an empty instance identifier', { DbInstanceIdentifiers: ['db-1', ''] },
      `${guard}: property DbInstanceIdentifiers must be a list of non-empty strings, got ["db-1",""].`],
    ['no database', { DbInstanceIdentifiers: [], DbClusterIdentifier: '' },
      `${guard}: properties DbInstanceIdentifiers and DbClusterIdentifier are both empty; one must name the database.`],
  ])('Create refuses %s', async (_name, overrides, message) => {
    await expect(handler({ RequestType: 'Create', ResourceProperties: properties(overrides) })).rejects.toThrow(
      new Error(message),
    );
    expect(rdsMock.calls().length).toBe(0);
  });

  test('Update refuses a previous WorstCase that is not a number', async () => {
    await expect(handler(update({}, 'unknown'))).rejects.toThrow(
      new Error(
        `${guard} (previous properties): property WorstCase must be a whole number of connections (0 or more), ` +
          'got "unknown".',
      ),
    );
    expect(rdsMock.calls().length).toBe(0);
  });
});

describe('reboot guard: a rollback', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Platform/0a1b';
  beforeEach(() => cloudFormation.reset());
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => log.mockRestore());

  test('passes while CloudFormation rolls its stack back, and says so in its log', async () => {
    instance('db-1', { 'data-params': 'pending-reboot' });
    cloudFormation.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [{ StackName: 'Platform', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] });
    await expect(handler({ ...update(), StackId: STACK_ID })).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(log).toHaveBeenCalledWith("Connection budget 'Platform/Data/Budget': a parameter change waits for a reboot, but CloudFormation is rolling back to the "
      + 'worst case of 480 connections it deployed before; the guard lets the rollback through.');
  });

  test('fails an ordinary update, having asked only once it was about to', async () => {
    instance('db-1', { 'data-params': 'pending-reboot' });
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Platform', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] });
    await expect(handler({ ...update(), StackId: STACK_ID })).rejects.toThrow(/^Connection budget 'Platform\/Data\/Budget': this deployment raises the worst case/);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    instance('db-1', { 'data-params': 'in-sync' });
    await handler({ ...update(), StackId: STACK_ID });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });
});
