import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lib/guards/allocation-guard-handler';
import { GuardEvent, GuardProperties } from '../../lib/guards/guard-event';

const PARAMETER = '/connection-budget/Platform/Data/Budget/allocations/orders';
const RECORD = {
  schemaVersion: 1,
  kind: 'connection-budget-allocation',
  budgetPath: 'Platform/Data/Budget',
  allocation: 'orders',
  connections: 120,
  engine: 'aurora-postgresql',
  proxyEndpoint: 'data.proxy-abc.eu-west-1.rds.amazonaws.com',
  port: 5432,
  databaseName: 'app',
  clientSecurityGroupId: 'sg-0123456789abcdef0',
  secretArn: null,
  proxyIdleClientTimeoutSeconds: 1800,
};

/** The properties the constructs write, as CloudFormation delivers them: every value a string. */
function properties(overrides: Record<string, unknown> = {}, record: Record<string, unknown> = {}): GuardProperties {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider',
    BudgetPath: 'Team/Budget',
    OwningBudgetPath: 'Platform/Data/Budget',
    AllocationName: 'orders',
    ParameterName: PARAMETER,
    Record: JSON.stringify({ ...RECORD, ...record }),
    WorstCase: '100',
    SynthesizedConnections: '120',
    ...overrides,
  };
}

const create = (resourceProperties: GuardProperties): GuardEvent => ({
  RequestType: 'Create',
  ResourceProperties: resourceProperties,
});

let log: jest.SpyInstance;
beforeEach(() => {
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => log.mockRestore());

describe('allocation guard: the worst case against the live allocation', () => {
  test.each([
    // [name, worst case, live connections, synthesized with, expected headroom]
    ['at the allocation', '120', 120, '120', '0'],
    ['below the allocation', '100', 120, '120', '20'],
    ['a worst case of nothing', '0', 0, '0', '0'],
  ])('passes %s', async (_name, worstCase, connections, synthesized, headroom) => {
    const result = await handler(create(properties({ WorstCase: worstCase, SynthesizedConnections: synthesized }, { connections })));
    expect(result).toEqual({
      PhysicalResourceId: 'Team/Budget|Platform/Data/Budget|orders',
      Data: { Connections: String(connections), WorstCase: worstCase, Headroom: headroom },
    });
    expect(log).not.toHaveBeenCalled();
  });

  test('passes on Update with the same physical id', async () => {
    const result = await handler({
      RequestType: 'Update',
      PhysicalResourceId: 'Team/Budget|Platform/Data/Budget|orders',
      ResourceProperties: properties({ WorstCase: '110' }),
      OldResourceProperties: properties(),
    });
    expect(result.PhysicalResourceId).toBe('Team/Budget|Platform/Data/Budget|orders');
    expect(result.Data).toEqual({ Connections: '120', WorstCase: '110', Headroom: '10' });
  });

  test('fails below the worst case after the owning app shrank the allocation', async () => {
    await expect(handler(create(properties({ WorstCase: '150', SynthesizedConnections: '150' })))).rejects.toThrow(
      new Error(
        "Connection budget 'Team/Budget': its worst case of 150 connections exceeds the allocation 'orders' of " +
          "'Platform/Data/Budget', which is now 120 connections (SSM parameter " +
          "'/connection-budget/Platform/Data/Budget/allocations/orders'). This app was synthesized with 150: the " +
          "owning app changed the allocation after this app cached it. Refresh the cached lookup (find its key with " +
          "'cdk context', remove it with 'cdk context --reset <key>', then run 'cdk synth' with credentials) so the " +
          'budget sizes the pools for 120, or ask the owning team for 150 connections. No consumer was updated.',
      ),
    );
  });

  test('fails below the worst case when the app was synthesized with the live allocation', async () => {
    await expect(handler(create(properties({ WorstCase: '121' })))).rejects.toThrow(
      new Error(
        "Connection budget 'Team/Budget': its worst case of 121 connections exceeds the allocation 'orders' of " +
          "'Platform/Data/Budget', which is now 120 connections (SSM parameter " +
          "'/connection-budget/Platform/Data/Budget/allocations/orders'). This app was synthesized with this same " +
          "allocation of 120, so its synth check should have refused the worst case: lower its consumers' worst " +
          'case, or ask the owning team for 121 connections. No consumer was updated.',
      ),
    );
  });

  test('passes and logs when the live allocation differs from the synthesized one but still fits', async () => {
    const result = await handler(create(properties({ WorstCase: '100', SynthesizedConnections: '150' })));
    expect(result.Data).toEqual({ Connections: '120', WorstCase: '100', Headroom: '20' });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith(
      "Connection budget 'Team/Budget': the allocation 'orders' of 'Platform/Data/Budget' is now 120 connections " +
        "(SSM parameter '/connection-budget/Platform/Data/Budget/allocations/orders'), this app was synthesized " +
        'with 150; its worst case of 100 still fits. Refresh the cached lookup so the budget sizes the pools for 120.',
    );
  });

  test('Delete passes without reading its properties', async () => {
    const result = await handler({
      RequestType: 'Delete',
      PhysicalResourceId: 'Team/Budget|Platform/Data/Budget|orders',
      ResourceProperties: { Record: 'not json', WorstCase: 'many' },
    });
    expect(result).toEqual({ PhysicalResourceId: 'Team/Budget|Platform/Data/Budget|orders' });
  });
});

describe('allocation guard: a record it cannot trust', () => {
  const MALFORMED = '{"kind": "connection-budget-allocation",';
  const of = "Connection budget 'Team/Budget': the record of the allocation 'orders' of 'Platform/Data/Budget' " +
    `(SSM parameter '${PARAMETER}')`;
  const parameter = `Connection budget 'Team/Budget': the SSM parameter '${PARAMETER}'`;

  test.each([
    ['malformed JSON', { Record: MALFORMED },
      `${parameter} does not hold JSON (it starts "{\\"kind\\": \\"connection-budget-allocation\\","); it must hold an allocation record written by addAllocation.`],
    ['JSON that is not an object', { Record: '[120]' }, `${parameter} does not hold an allocation record (no "kind": "connection-budget-allocation").`],
    ['an empty Record', { Record: '' }, `${of} arrived as "" in property Record instead of the parameter's JSON.`],
    ['no Record', { Record: undefined }, `${of} arrived as nothing in property Record instead of the parameter's JSON.`],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(handler(create(properties(overrides)))).rejects.toHaveProperty('message', `${message} No consumer was updated.`);
  });

  const invalid = `${parameter} holds an allocation record that is not valid:`;
  test.each([
    ['the wrong kind', { kind: 'connection-budget-reservation' }, `${parameter} does not hold an allocation record (no "kind": "connection-budget-allocation").`],
    ['version 2', { schemaVersion: 2 },
      `${parameter} holds an allocation record of version 2, but this connection-budget reads version 1; use the library version the owning app uses.`],
    ['a version that is not a number', { schemaVersion: '1' },
      `${parameter} holds an allocation record of version "1", but this connection-budget reads version 1; use the library version the owning app uses.`],
    ['a mismatched allocation name', { allocation: 'billing' },
      `${parameter} holds the allocation 'billing' of 'Platform/Data/Budget', not 'orders' of 'Platform/Data/Budget'.`],
    ['a mismatched budget path', { budgetPath: 'Platform/Other/Budget' },
      `${parameter} holds the allocation 'orders' of 'Platform/Other/Budget', not 'orders' of 'Platform/Data/Budget'.`],
    ['connections as a string', { connections: '120' }, `${invalid} connections must be a whole number from 0 to 262143, got "120".`],
    ['negative connections', { connections: -1 }, `${invalid} connections must be a whole number from 0 to 262143, got -1.`],
    ['fractional connections', { connections: 12.5 }, `${invalid} connections must be a whole number from 0 to 262143, got 12.5.`],
    ['no connections', { connections: undefined }, `${invalid} connections must be a whole number from 0 to 262143, got undefined.`],
  ])('refuses a record with %s', async (_name, record, message) => {
    await expect(handler(create(properties({}, record)))).rejects.toHaveProperty('message', `${message} No consumer was updated.`);
  });
});

describe('allocation guard: properties', () => {
  const guard = 'Connection budget allocation guard: property';

  test.each([
    ['a non-numeric WorstCase', { WorstCase: 'many' }, `${guard} WorstCase must be a whole number of connections (0 or more), got "many".`],
    ['a negative WorstCase', { WorstCase: '-5' }, `${guard} WorstCase must be a whole number of connections (0 or more), got "-5".`],
    ['a fractional WorstCase', { WorstCase: '1.5' }, `${guard} WorstCase must be a whole number of connections (0 or more), got "1.5".`],
    ['an empty WorstCase', { WorstCase: '' }, `${guard} WorstCase must be a whole number of connections (0 or more), got "".`],
    ['an exponent', { SynthesizedConnections: '1e3' },
      `${guard} SynthesizedConnections must be a whole number of connections (0 or more), got "1e3".`],
    ['a missing SynthesizedConnections', { SynthesizedConnections: undefined },
      `${guard} SynthesizedConnections must be a whole number of connections (0 or more), got nothing.`],
    ['a missing BudgetPath', { BudgetPath: undefined }, `${guard} BudgetPath must be a non-empty string, got nothing.`],
    ['an empty AllocationName', { AllocationName: '' }, `${guard} AllocationName must be a non-empty string, got "".`],
    ['a missing ParameterName', { ParameterName: undefined }, `${guard} ParameterName must be a non-empty string, got nothing.`],
  ])('refuses %s', async (_name, overrides, message) => {
    await expect(handler(create(properties(overrides)))).rejects.toHaveProperty('message', message);
  });
});

describe('allocation guard: deployments it lets through over the live allocation', () => {
  const cloudFormation = mockClient(CloudFormationClient);
  const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Team/0a1b';
  beforeEach(() => cloudFormation.reset());
  const over = properties({ WorstCase: '150', SynthesizedConnections: '150' });

  test('one that does not raise the worst case: it asks for no more than already runs, and may be the fix', async () => {
    const result = await handler({ RequestType: 'Update', PhysicalResourceId: 'p', StackId: STACK_ID, ResourceProperties: over, OldResourceProperties: properties({ WorstCase: '160' }) });
    expect(result.Data).toEqual({ Connections: '120', WorstCase: '150', Headroom: '-30' });
    expect(log).toHaveBeenCalledWith("Connection budget 'Team/Budget': its worst case of 150 connections exceeds the allocation 'orders' of 'Platform/Data/Budget', "
      + 'now 120 connections; the guard lets this deployment through because it does not raise it (160 before).');
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  test('CloudFormation rolling its stack back', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [{ StackName: 'Team', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] });
    await expect(handler({ RequestType: 'Update', PhysicalResourceId: 'p', StackId: STACK_ID, ResourceProperties: over, OldResourceProperties: properties({ WorstCase: '100' }) }))
      .resolves.toMatchObject({ Data: { Headroom: '-30' } });
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/because it is CloudFormation rolling back to what ran before\.$/));
  });

  test('but not a growing worst case outside a rollback', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Team', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] });
    await expect(handler({ RequestType: 'Update', PhysicalResourceId: 'p', StackId: STACK_ID, ResourceProperties: over, OldResourceProperties: properties({ WorstCase: '100' }) }))
      .rejects.toThrow(/^Connection budget 'Team\/Budget': its worst case of 150 connections exceeds/);
  });
});
