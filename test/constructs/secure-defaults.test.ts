import { App, Annotations as CoreAnnotations, Stack, aws_ec2 as ec2, aws_rds as rds } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { readBudgets } from '../../lib/cli/read-budgets';
import { harness, synthErrors } from './harness';

const tlsWarnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('/Data/Budget', Match.stringLikeRegexp('CB-TLS-NOT-REQUIRED'))
  .map((w) => w.entry.data);

const PROXY_OVERRIDDEN = "ConnectionBudget 'Data/Budget': the proxy 'Data/Db/Proxy' does not require TLS (RequireTLS is false), so clients may connect to it in plain text. "
  + "Set requireTLS: true on 'Data/Db/Proxy' (the DatabaseProxy default) and remove any override of its RequireTLS, "
  + 'or acknowledge CB-TLS-NOT-REQUIRED on the budget if plain text is intended. [ack: CB-TLS-NOT-REQUIRED]';

describe('CB-TLS-NOT-REQUIRED reads what deploys', () => {
  test('the proxy CDK builds requires TLS, and the default PostgreSQL 16 parameters do: no warning', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.budget.addReservation({ name: 'migrations', connections: 2 });
    h.app.synth();
    expect(tlsWarnings(h.data)).toEqual([]);
  });

  test('an L1 override of RequireTLS to false after the proxy was built warns, and the templates give the same warning', () => {
    // GIVEN a proxy built with CDK's default requireTLS: true
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    // WHEN ordinary CDK code overrides what deploys
    (h.proxy!.node.defaultChild as rds.CfnDBProxy).addPropertyOverride('RequireTLS', false);
    const assembly = h.app.synth();
    // THEN the budget warns at synth, and the CLI's reading of the templates finds the same
    expect(tlsWarnings(h.data)).toEqual([PROXY_OVERRIDDEN]);
    const [read] = readBudgets(assembly.directory).budgets;
    expect(read.ledger.problems.filter((p) => p.id === 'CB-TLS-NOT-REQUIRED').map((p) => [`${p.message} ${p.fix} [ack: ${p.id}]`, p.acknowledged]))
      .toEqual([[PROXY_OVERRIDDEN, false]]);
  });

  test('the warning is acknowledgeable by its ID, and the ledger records the acknowledgement', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    (h.proxy!.node.defaultChild as rds.CfnDBProxy).addPropertyOverride('RequireTLS', false);
    CoreAnnotations.of(h.budget).acknowledgeWarning('CB-TLS-NOT-REQUIRED', 'A lab database; no client leaves the VPC.');
    const assembly = h.app.synth();
    expect(tlsWarnings(h.data)).toEqual([]);
    const [read] = readBudgets(assembly.directory).budgets;
    expect(read.ledger.problems.filter((p) => p.id === 'CB-TLS-NOT-REQUIRED').map((p) => p.acknowledged)).toEqual([true]);
  });

  test('a database the budget reaches directly, whose parameter group an override stops forcing TLS', () => {
    // GIVEN no proxy, and rds.force_ssl 1 in the parameter group
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: null, parameters: { 'rds.force_ssl': '1' } });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    // WHEN an override writes 0 into the group that deploys
    (h.data.node.findChild('Params').node.defaultChild as rds.CfnDBParameterGroup).addPropertyOverride('Parameters.rds\\.force_ssl', '0');
    const assembly = h.app.synth();
    const warning = "ConnectionBudget 'Data/Budget': the database 'Data/Db' does not require TLS (rds.force_ssl is '0' in the parameter group 'Data/Params'), "
      + 'so the clients that connect to it directly (every client: the budget has no proxy) may do so in plain text. '
      + "Set rds.force_ssl to 1 in the parameter group 'Data/Params', or acknowledge CB-TLS-NOT-REQUIRED on the budget if plain text is intended. "
      + '[ack: CB-TLS-NOT-REQUIRED]';
    expect(tlsWarnings(h.data)).toEqual([warning]);
    const [read] = readBudgets(assembly.directory).budgets;
    expect(read.ledger.problems.filter((p) => p.id === 'CB-TLS-NOT-REQUIRED').map((p) => `${p.message} ${p.fix} [ack: ${p.id}]`)).toEqual([warning]);
  });

  test('MySQL 8.0 on its default parameters, reached by a consumer that bypasses the proxy', () => {
    const h = harness({
      engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }), maxConnectionsParameter: '500', proxyPercent: 80,
    });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.service('Admin', { desiredCount: 1 }, { pool: PoolSize.fixed(2), bypassProxy: true });
    h.app.synth();
    expect(tlsWarnings(h.data)).toEqual([
      "ConnectionBudget 'Data/Budget': the database 'Data/Db' does not require TLS (require_secure_transport is not set in the parameter group 'Data/Params', "
      + 'and RDS for MySQL 8.0 does not require TLS by default, only from version 9.7), '
      + "so the clients that connect to it directly ('Services/Admin') may do so in plain text. "
      + "Set require_secure_transport to 1 in the parameter group 'Data/Params', or acknowledge CB-TLS-NOT-REQUIRED on the budget if plain text is intended. "
      + '[ack: CB-TLS-NOT-REQUIRED]',
    ]);
  });

  test('an imported database without a proxy cannot be verified, and says so', () => {
    const stack = new Stack(new App(), 'Data');
    const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
      instanceIdentifier: 'legacy', instanceEndpointAddress: 'legacy.example.com', port: 5432, securityGroups: [],
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    });
    const budget = new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(database), maxConnections: 100 });
    expect(budget._evaluation().problems.filter((p) => p.id === 'CB-TLS-NOT-REQUIRED').map((p) => `${p.message} ${p.fix}`)).toEqual([
      "ConnectionBudget 'Data/Budget': whether the database 'Data/Db' requires TLS cannot be verified: it is not defined in this app, so its parameter group "
      + 'cannot be read. If it does not, the clients that connect to it directly (every client: the budget has no proxy) may do so in plain text. '
      + "Set rds.force_ssl to 1 in the parameter group of 'Data/Db', or acknowledge CB-TLS-NOT-REQUIRED on the budget if plain text is intended.",
    ]);
  });
});

describe('CB-OPEN-CLIENT', () => {
  test.each([
    ['ec2.Peer.anyIpv4()', ec2.Peer.anyIpv4(), '0.0.0.0/0 (every IPv4 address)', 'Data/Db/Proxy', true],
    ['ec2.Peer.anyIpv6()', ec2.Peer.anyIpv6(), '::/0 (every IPv6 address)', 'Data/Db/Proxy', true],
    ['a CIDR string of every address, connecting directly', ec2.Peer.ipv4('0.0.0.0/0'), '0.0.0.0/0 (every IPv4 address)', 'Data/Db', false],
  ])('fails synth on a reservation whose clients include %s', (_name, peer, range, target, throughProxy) => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.budget.addReservation({ name: 'bi', connections: 5, throughProxy, clients: [peer] });
    expect(synthErrors(h.app)).toEqual([
      `[Data/Budget] ConnectionBudget 'Data/Budget': reservation 'bi' lists ${range} among its clients, so the budget lets any address reach '${target}'. `
      + "Name the clients of reservation 'bi' by their security groups, or by the narrowest range they connect from (a VPC's or an office's CIDR). [CB-OPEN-CLIENT]",
    ]);
  });

  test('a narrow range and a security group pass', () => {
    const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
    h.budget.addReservation({ name: 'bi', connections: 5, throughProxy: true, clients: [ec2.Peer.ipv4('10.9.0.0/16'), new ec2.SecurityGroup(h.data, 'Bi', { vpc: h.vpc })] });
    expect(synthErrors(h.app)).toEqual([]);
  });
});
