import { App, CfnElement, Duration, Stack, aws_ec2 as ec2, aws_rds as rds, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectionBudget, ConnectionBudgetMonitoring, DatabaseTarget, PoolSize } from '../../lib';
import { JOIN_ELEMENT_MAX_CHARS } from '../../lib/private/short-lines';
import { harness } from '../constructs/harness';

// GIVEN max_connections 500 behind a proxy at 80 %: ceiling floor(500 × 80 %) − 5 = 395.
// Api: 10 tasks × 200 % × pool 10 = 200. Worker: 2 tasks × 200 % × a share capped at 20 = 80. Demand 280.
const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
h.service('Api', { maxCapacity: 10 }, { pool: PoolSize.fixed(10) });
h.service('Worker', { desiredCount: 2 });
const topic = new sns.Topic(h.data, 'Alarms');
const monitoring = new ConnectionBudgetMonitoring(h.data, 'Monitoring', { budget: h.budget, alarmTopic: topic });
const template = Template.fromStack(h.data);

/** The alarm whose logical ID starts with `MonitoringX`. */
function alarm(id: string): Record<string, any> {
  const found = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([logicalId]) => logicalId.startsWith(`Monitoring${id}`));
  expect(found).toHaveLength(1);
  return found[0][1].Properties;
}

const logicalId = (construct: { node: { defaultChild?: unknown } }) => h.data.getLogicalId(construct.node.defaultChild as CfnElement);
const PROXY = { Name: 'ProxyName', Value: { Ref: logicalId(h.proxy!) } };
const TOPIC = { Ref: logicalId(topic) };

describe('alarms on the budget\'s database and proxy', () => {
  test('the budget is the one the levels come from', () => {
    expect(h.budget._evaluation().totals).toMatchObject({ ceiling: 395, demand: 280 });
  });

  test('database connections at 80 % of max_connections (400 of 500), the maximum of one-minute periods, for 5 minutes', () => {
    expect(alarm('DatabaseConnections')).toMatchObject({
      Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', Statistic: 'Maximum', Period: 60,
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: { Ref: logicalId(h.database) } }],
      Threshold: 400, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 5, TreatMissingData: 'notBreaching',
    });
  });

  test('the proxy\'s connections at 90 % of MaxDatabaseConnectionsAllowed, both summed over the proxy\'s nodes', () => {
    const props = alarm('ProxyConnections');
    expect(props).toMatchObject({ Threshold: 90, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 5 });
    expect(props.Metrics).toEqual(expect.arrayContaining([
      expect.objectContaining({ Expression: '100 * connections / allowed', ReturnData: true }),
      expect.objectContaining({ Id: 'connections', MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', Dimensions: [PROXY] }, Period: 60, Stat: 'Sum' }, ReturnData: false }),
      expect.objectContaining({ Id: 'allowed', MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'MaxDatabaseConnectionsAllowed', Dimensions: [PROXY] }, Period: 60, Stat: 'Sum' }, ReturnData: false }),
    ]));
  });

  test('client connections above the budgeted peak (280: the proxy\'s consumers at their worst case)', () => {
    expect(alarm('ClientConnections')).toMatchObject({
      Namespace: 'AWS/RDS', MetricName: 'ClientConnections', Statistic: 'Sum', Dimensions: [PROXY],
      Threshold: 280, ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('borrow latency above 100 ms on average (100,000 µs)', () => {
    expect(alarm('BorrowLatency')).toMatchObject({
      Namespace: 'AWS/RDS', MetricName: 'DatabaseConnectionsBorrowLatency', Statistic: 'Average', Dimensions: [PROXY],
      Threshold: 100000, ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('pinned sessions at 25 % of MaxDatabaseConnectionsAllowed', () => {
    const props = alarm('PinnedConnections');
    expect(props).toMatchObject({ Threshold: 25, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(props.Metrics).toEqual(expect.arrayContaining([
      expect.objectContaining({ Expression: '100 * pinned / allowed' }),
      expect.objectContaining({ Id: 'pinned', MetricStat: expect.objectContaining({ Metric: { Namespace: 'AWS/RDS', MetricName: 'DatabaseConnectionsCurrentlySessionPinned', Dimensions: [PROXY] }, Stat: 'Sum' }) }),
    ]));
  });

  test('every alarm notifies the topic when it fires and when it recovers', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(5);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([TOPIC]);
      expect(a.Properties.OKActions).toEqual([TOPIC]);
    }
    expect(monitoring.clientConnectionsAlarm).toBeDefined();
  });
});

describe('the dashboard', () => {
  const parts: unknown[] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody['Fn::Join'][1];
  // The body CloudWatch gets, each reference (a region, a database) written as JSON text where it stands.
  const body = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');

  test('annotates capacity, the alarm level and the budgeted peaks', () => {
    // Budgeted database peak: 280 + 5 kept by RDS Proxy.
    for (const annotation of [
      '{"label":"max_connections","value":500,"color":"#d62728","yAxis":"left"}',
      '{"label":"alarm (80 %)","value":400,"color":"#ff7f0e","yAxis":"left"}',
      '{"label":"budgeted peak","value":285,"color":"#2ca02c","yAxis":"left"}',
      '{"label":"budgeted client peak","value":280,"color":"#2ca02c","yAxis":"left"}',
      '{"label":"alarm","value":100000,"color":"#ff7f0e","yAxis":"left"}',
    ]) {
      expect(body).toContain(annotation);
    }
  });

  test('has a table of the consumers and their allocations', () => {
    expect(body).toContain('Worst case **280** of ceiling **395** (max_connections 500), headroom 115.');
    expect(body).toContain('Services/Api | ecs-service | 10 | 20 | 200');
    expect(body).toContain('Services/Worker | ecs-service | 20 | 4 | 80');
  });

  test('is written in short pieces, a row of the table each, so cdk diff shows a changed consumer as one line', () => {
    expect(parts.filter((p) => typeof p === 'string').map((p) => JSON.stringify(p).length).filter((n) => n > JOIN_ELEMENT_MAX_CHARS)).toEqual([]);
    expect(parts).toContain('Services/Api | ecs-service | 10 | 20 | 200\\n');
    // Still the JSON CloudWatch reads, with the references in place.
    expect(JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ref')).join('')).widgets).toHaveLength(5);
  });
});

describe('a dashboard in a stack of its own', () => {
  test('refers to the database and the proxy through imports, as CDK writes any reference across stacks', () => {
    const other = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
    other.service('Api', { maxCapacity: 2 }, { pool: PoolSize.fixed(10) });
    const watch = new Stack(other.app, 'Watch');
    new ConnectionBudgetMonitoring(watch, 'Monitoring', { budget: other.budget });
    const parts: unknown[] = Object.values(Template.fromStack(watch).findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody['Fn::Join'][1];
    const references = parts.filter((p) => typeof p !== 'string');
    expect(references).toContainEqual({ 'Fn::ImportValue': expect.stringMatching(/^Data:ExportsOutputRefDb/) });
    expect(references).toContainEqual({ 'Fn::ImportValue': expect.stringMatching(/^Data:ExportsOutputRefDbProxy/) });
    expect(references.filter((r) => JSON.stringify(r).includes('"Ref":"Db'))).toEqual([]);
  });
});

describe('an Aurora cluster', () => {
  test('watches the writer\'s connections, without proxy alarms when the budget has no proxy', () => {
    const app = new App();
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      vpc, storageEncrypted: true, writer: rds.ClusterInstance.provisioned('Writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) }),
    });
    const budget = new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromCluster(cluster), maxConnections: 1000 });
    const watched = new ConnectionBudgetMonitoring(stack, 'Monitoring', { budget, thresholds: { databaseConnectionsPercent: 75, evaluationMinutes: 3 } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DatabaseConnections',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: { Ref: Match.stringLikeRegexp('^Cluster') } }, { Name: 'Role', Value: 'WRITER' }],
      Threshold: 750, EvaluationPeriods: 3,
    });
    expect(watched.proxyConnectionsAlarm).toBeUndefined();
  });
});

test('fails on thresholds out of range, naming each', () => {
  const stack = new Stack(new App(), 'S');
  expect(() => new ConnectionBudgetMonitoring(stack, 'Monitoring', {
    budget: h.budget,
    thresholds: { databaseConnectionsPercent: 0, proxyConnectionsPercent: 120, borrowLatency: Duration.seconds(0), evaluationMinutes: 1.5 },
  })).toThrow('ConnectionBudgetMonitoring \'S/Monitoring\': invalid thresholds:\n'
    + '- databaseConnectionsPercent must be above 0 and at most 100, got 0\n'
    + '- proxyConnectionsPercent must be above 0 and at most 100, got 120\n'
    + '- borrowLatency must be a literal duration longer than 0\n'
    + '- evaluationMinutes must be a whole number of at least 1, got 1.5');
});
