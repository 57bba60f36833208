import { App, Stack, aws_ec2 as ec2, aws_rds as rds } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConnectionAllocation, ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { harness, synthErrors } from './harness';
import { ledgerOf } from '../helpers/ledgers';

describe('an allocation granted by the owning app', () => {
  // Proxy ceiling 500 − 5 = 495; Api 2 tasks × 200 % × 10 = 40; the team gets 300.
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
  const allocation = h.budget.addAllocation({ name: 'payments-team', connections: 300 });
  const errors = synthErrors(h.app);
  const data = Template.fromStack(h.data);
  const evaluation = h.budget._evaluation();

  test('synth passes, and the allocation counts like a reservation through the proxy', () => {
    expect(errors).toEqual([]);
    expect(evaluation.capacity!.reservations).toContainEqual({ name: 'allocation:payments-team', connections: 300, throughProxy: true });
    expect(evaluation.capacity!.effectiveCeiling).toBe(195);
  });

  test('its client security group reaches the proxy on the engine\'s port, and nothing else', () => {
    const groupId = { 'Fn::GetAtt': [h.data.getLogicalId(allocation.clientSecurityGroup.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] };
    const proxyGroupId = { 'Fn::GetAtt': [h.data.getLogicalId(h.proxy!.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] };
    const resources = Object.values<any>(data.toJSON().Resources);
    const group = resources.find((r) => r.Type === 'AWS::EC2::SecurityGroup' && r.Properties.GroupDescription === 'Clients of the connection allocation payments-team of Data/Budget');
    expect(group.Properties.SecurityGroupEgress).toBeUndefined();
    expect(resources.filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress' && JSON.stringify(r.Properties.GroupId) === JSON.stringify(groupId)).map((r) => r.Properties))
      .toEqual([expect.objectContaining({ DestinationSecurityGroupId: proxyGroupId, FromPort: 5432, ToPort: 5432, IpProtocol: 'tcp' })]);
    data.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: proxyGroupId, FromPort: 5432, ToPort: 5432, Description: 'Reservation allocation:payments-team (connection budget Data/Budget)', SourceSecurityGroupId: groupId,
    });
  });

  test('its record is a versioned JSON document at the documented name, with the route and no secret: never the master secret\'s ARN', () => {
    expect(allocation.recordParameterName).toBe('/connection-budget/Data/Budget/allocations/payments-team');
    const [, parameter] = Object.entries<any>(data.toJSON().Resources).find(([, r]) => r.Type === 'AWS::SSM::Parameter')!;
    expect(parameter.Properties.Name).toBe('/connection-budget/Data/Budget/allocations/payments-team');
    const parts: unknown[] = parameter.Properties.Value['Fn::Join'][1];
    const tokens = parts.filter((p) => typeof p !== 'string');
    const record = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : `<token ${tokens.indexOf(p)}>`)).join(''));
    expect(record).toEqual({
      schemaVersion: 1, kind: 'connection-budget-allocation', budgetPath: 'Data/Budget', allocation: 'payments-team', connections: 300, engine: 'rds-postgresql',
      proxyEndpoint: '<token 0>', port: 5432, databaseName: 'postgres', clientSecurityGroupId: '<token 1>', proxyIdleClientTimeoutSeconds: 1800,
      // A database the app built itself gives the allocation no user of its own (BudgetedDatabase does).
      secretArn: null, databaseUser: null,
    });
    expect(tokens).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^DbProxy/), 'Endpoint'] },
      { 'Fn::GetAtt': [expect.stringMatching(/^BudgetAllocationpaymentsteamClientSecurityGroup/), 'GroupId'] },
    ]);
  });
});

describe('allocations that cannot be granted', () => {
  test('one that does not fit fails synth like any reservation', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.budget.addAllocation({ name: 'big', connections: 480 });
    expect(synthErrors(h.app)).toEqual([expect.stringMatching(/^\[Data\/Budget\] ConnectionBudget 'Data\/Budget': worst-case demand 40 exceeds the proxy ceiling 15 by 25: .* less 480 reserved through the proxy for 'allocation:big', .*\[CB-OVER-CAPACITY\]$/)]);
  });

  test.each([
    [{ name: 'a b', connections: 5 }, "addAllocation('a b'): the name must be 1 to 64 letters, digits, '-' or '_', got \"a b\"."],
    [{ name: 'team', connections: 0 }, "addAllocation('team'): connections must be a whole number from 1 to 262143, got 0."],
    [{ name: 'team', connections: 2.5 }, "addAllocation('team'): connections must be a whole number from 1 to 262143, got 2.5."],
  ])('%j is refused', (options, message) => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    expect(() => h.budget.addAllocation(options)).toThrow(`ConnectionBudget 'Data/Budget': ${message}`);
  });

  test('twice the same name, or a budget without a proxy, is refused', () => {
    const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    h.budget.addAllocation({ name: 'team', connections: 5 });
    const taken = "ConnectionBudget 'Data/Budget': addAllocation('team'): the budget already keeps a reservation named 'allocation:team' (an allocation of "
      + "that name, or a reservation given its name); choose another name.";
    expect(() => h.budget.addAllocation({ name: 'team', connections: 5 })).toThrow(taken);
    expect(() => harness({ maxConnectionsParameter: '1000', proxyPercent: 50, budget: { reservations: [{ name: 'allocation:team', connections: 5, throughProxy: true }] } }))
      .toThrow("ConnectionBudget 'Data/Budget': invalid properties:\n- reservation 'allocation:team' starts with 'allocation:', which names allocations (the CLI "
        + "joins them to other apps' budgets); grant it with addAllocation, or choose another name");
    const direct = harness({ maxConnectionsParameter: '1000', proxyPercent: null });
    expect(() => direct.budget.addAllocation({ name: 'team', connections: 5 })).toThrow("ConnectionBudget 'Data/Budget': addAllocation('team'): an allocation is counted "
      + 'through the proxy, and the budget has no proxy; give the budget a proxy, or keep the connections with a reservation.');
  });

  test('an imported database needs the VPC', () => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const owned = new rds.DatabaseInstance(stack, 'Owned', { engine: rds.DatabaseInstanceEngine.POSTGRES, vpc });
    const proxy = owned.addProxy('Proxy', { vpc, secrets: [owned.secret!] });
    const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceIdentifier: 'db', instanceEndpointAddress: 'db.example', port: 5432, securityGroups: [], engine: rds.DatabaseInstanceEngine.POSTGRES,
    });
    const budget = new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(imported), proxy, maxConnections: 100 });
    expect(() => budget.addAllocation({ name: 'team', connections: 5 })).toThrow("ConnectionBudget 'Data/Budget': addAllocation('team'): the database 'Data/Db' is imported, so its VPC is unknown; pass vpc.");
    expect(budget.addAllocation({ name: 'team', connections: 5, vpc }).clientSecurityGroup).toBeDefined();
  });
});

test('an allocation made as a construct counts the same as one from addAllocation', () => {
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
  const allocation = new ConnectionAllocation(h.data, 'Reporting', { budget: h.budget, name: 'reporting', connections: 25 });
  expect(synthErrors(h.app)).toEqual([]);
  expect(allocation.recordParameterName).toBe('/connection-budget/Data/Budget/allocations/reporting');
  expect(h.budget._evaluation().capacity!.reservations).toContainEqual({ name: 'allocation:reporting', connections: 25, throughProxy: true });
});

describe('an allocation granted as a weighted share', () => {
  // Proxy ceiling 500 − 5 = 495; Api 2 tasks × 200 % = 4 instances of a derived pool (weight 1, at most 20: 80); the share
  // takes the rest up to its maximum of 400.
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  h.service('Api', { desiredCount: 2 }, { pool: PoolSize.share({ weight: 1, min: 2, max: 20 }) });
  const allocation = h.budget.addAllocation({ name: 'orders', share: { weight: 4, minConnections: 50, maxConnections: 400 } });
  const errors = synthErrors(h.app);
  const data = Template.fromStack(h.data);

  test('resolves to a number at synth, counted like a fixed allocation', () => {
    expect(errors).toEqual([]);
    const evaluation = h.budget._evaluation();
    expect(evaluation.capacity!.reservations).toContainEqual({ name: 'allocation:orders', connections: 400, throughProxy: true, share: { weight: 4, min: 50, max: 400 } });
    expect(evaluation.consumers[0].poolSize).toBe(20);
    expect(h.data.resolve(allocation.connections)).toBe(400);
  });

  test('its record holds the number, and the ledger the share', () => {
    const [, parameter] = Object.entries<any>(data.toJSON().Resources).find(([, r]) => r.Type === 'AWS::SSM::Parameter')!;
    expect(JSON.stringify(parameter.Properties.Value)).toContain('\\"connections\\":400');
    const ledger = ledgerOf(h.data);
    expect(ledger.inputs!.reservations).toContainEqual(expect.objectContaining({ name: 'allocation:orders', connections: 400, share: { weight: 4, min: 50, max: 400 } }));
  });

  test.each([
    [{ name: 'a', connections: 5, share: { minConnections: 1, maxConnections: 2 } }, "addAllocation('a'): give either connections (a number) or share (a weighted share of the ceiling), not both and not neither."],
    [{ name: 'a' }, "addAllocation('a'): give either connections (a number) or share (a weighted share of the ceiling), not both and not neither."],
    [{ name: 'a', share: { minConnections: 5, maxConnections: 4 } }, "addAllocation('a'): share.maxConnections must be a whole number from 5 (at least minConnections) to 262143, got 4."],
    [{ name: 'a', share: { weight: 0, minConnections: 1, maxConnections: 4 } }, "addAllocation('a'): share.weight must be above 0 and at most 1000000, got 0."],
  ])('%j is refused', (options, message) => {
    const other = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
    expect(() => other.budget.addAllocation(options as any)).toThrow(`ConnectionBudget 'Data/Budget': ${message}`);
  });
});
