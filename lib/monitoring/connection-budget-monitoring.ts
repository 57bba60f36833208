import {
  Duration, IResolveContext, Lazy, Token, aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as cwActions, aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DEFAULT_BORROW_LATENCY_MICROSECONDS, DEFAULT_DATABASE_CONNECTIONS_PERCENT, DEFAULT_EVALUATION_MINUTES, DEFAULT_PINNED_CONNECTIONS_PERCENT,
  DEFAULT_PROXY_CONNECTIONS_PERCENT, forTerminal, MonitoringLevels, monitoringLevels,
} from '../budget';
import { ConnectionBudget } from '../constructs/connection-budget';
import { ConstructInputError } from '../private/construct-input-error';
import { splitJoinedText } from '../private/short-lines';
import { describeNumber, isWholeNumber } from '../private/validation';

/** Alarm thresholds of a {@link ConnectionBudgetMonitoring}. */
export interface ConnectionBudgetAlarmThresholds {
  /**
   * The database's DatabaseConnections alarm at this percentage of max_connections.
   *
   * @default 80
   */
  readonly databaseConnectionsPercent?: number;

  /**
   * The proxy's DatabaseConnections alarm at this percentage of its MaxDatabaseConnectionsAllowed.
   *
   * @default 90
   */
  readonly proxyConnectionsPercent?: number;

  /**
   * The proxy's DatabaseConnectionsBorrowLatency (average) alarms above this.
   *
   * @default Duration.millis(100)
   */
  readonly borrowLatency?: Duration;

  /**
   * The proxy's session-pinned connections alarm at this percentage of its MaxDatabaseConnectionsAllowed.
   *
   * @default 25
   */
  readonly pinnedConnectionsPercent?: number;

  /**
   * Minutes (one-minute periods) a threshold must be crossed before its alarm fires.
   *
   * @default 5
   */
  readonly evaluationMinutes?: number;
}

/** Properties of a {@link ConnectionBudgetMonitoring}. */
export interface ConnectionBudgetMonitoringProps {
  /**
   * The budget to watch; its database and proxy are the ones monitored.
   */
  readonly budget: ConnectionBudget;

  /**
   * Alarm thresholds.
   *
   * @default - the defaults of each threshold
   */
  readonly thresholds?: ConnectionBudgetAlarmThresholds;

  /**
   * Topic every alarm notifies when it fires and when it recovers.
   *
   * @default - alarms without actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Name of the CloudWatch dashboard.
   *
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
}

/** RDS and RDS Proxy publish these metrics every minute, in the AWS/RDS namespace (aws-limits.md, [PXMON]). */
const PERIOD = Duration.minutes(1);
const NAMESPACE = 'AWS/RDS';

/**
 * Alarms and a dashboard that watch a connection budget's real usage: the database's connections against
 * max_connections, and (behind RDS Proxy) the proxy's connections against what it may open, client
 * connections above the budgeted peak (an unbudgeted client or a leak), borrow latency and pinned sessions.
 * Levels come from the evaluated budget, so they follow every change of the budget.
 */
export class ConnectionBudgetMonitoring extends Construct {
  /** DatabaseConnections of the database (the writer, for Aurora) at the threshold of max_connections. */
  public readonly databaseConnectionsAlarm: cloudwatch.Alarm;
  /** The proxy's DatabaseConnections against MaxDatabaseConnectionsAllowed; undefined without a proxy. */
  public readonly proxyConnectionsAlarm?: cloudwatch.Alarm;
  /** Client connections to the proxy above the budgeted peak; undefined without a proxy. */
  public readonly clientConnectionsAlarm?: cloudwatch.Alarm;
  /** The proxy's borrow latency; undefined without a proxy. */
  public readonly borrowLatencyAlarm?: cloudwatch.Alarm;
  /** Session-pinned proxy connections; undefined without a proxy. */
  public readonly pinnedConnectionsAlarm?: cloudwatch.Alarm;
  public readonly dashboard: cloudwatch.Dashboard;

  public constructor(scope: Construct, id: string, props: ConnectionBudgetMonitoringProps) {
    super(scope, id);
    const thresholds = validThresholds(props.thresholds ?? {}, this.node.path);
    const budget = props.budget;
    const grantedBy = budget._grantedBy();
    if (grantedBy) {
      throw new ConstructInputError(`ConnectionBudgetMonitoring '${forTerminal(this.node.path)}': the budget '${forTerminal(budget.node.path)}' is built from the allocation `
        + `'${forTerminal(grantedBy.allocationName)}' of '${forTerminal(grantedBy.owningBudgetPath)}', whose database and proxy belong to the owning app; monitor them there, with ConnectionBudgetMonitoring `
        + 'on the owning budget.');
    }
    const target = budget._target();
    const evaluationPeriods = thresholds.evaluationMinutes;
    // The budget is computed just before synthesis; every level is read then.
    const level = (read: (levels: MonitoringLevels) => number | undefined) => Lazy.number({
      produce: () => {
        const levels = monitoringLevels(budget._evaluation(), thresholds.databaseConnectionsPercent);
        // Without a known max_connections the budget fails synth (CB-UNKNOWN-MAX-CONNECTIONS); never alarm on 0 meanwhile.
        return levels ? read(levels) : Number.MAX_SAFE_INTEGER;
      },
    });
    const name = (what: string) => `${budget.node.path}: ${what}`;
    const alarm = (alarmId: string, metricOrExpression: cloudwatch.IMetric, threshold: number, comparisonOperator: cloudwatch.ComparisonOperator, description: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric: metricOrExpression,
        threshold,
        comparisonOperator,
        evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: name(description),
      });
    const atOrAbove = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;

    const databaseDimensions: Record<string, string> = target.instance
      ? { DBInstanceIdentifier: target.instance.instanceIdentifier }
      : { DBClusterIdentifier: target.cluster!.clusterIdentifier, Role: 'WRITER' };
    const databaseConnections = metric('DatabaseConnections', 'Maximum', databaseDimensions);
    const alarms: cloudwatch.Alarm[] = [];
    this.databaseConnectionsAlarm = alarm('DatabaseConnections', databaseConnections, level((l) => l.databaseConnectionsAlarm), atOrAbove,
      `database connections at ${thresholds.databaseConnectionsPercent} % of max_connections or more. `
        + 'Find the client holding them (pg_stat_activity, SHOW PROCESSLIST): a consumer above its budget, a leak, or a client outside the budget.');
    alarms.push(this.databaseConnectionsAlarm);

    const graphs: cloudwatch.IWidget[] = [new cloudwatch.GraphWidget({
      title: 'Database connections',
      left: [labelled(databaseConnections, 'Database connections')],
      leftAnnotations: [
        { label: 'max_connections', value: level((l) => l.maxConnections), color: cloudwatch.Color.RED },
        { label: `alarm (${thresholds.databaseConnectionsPercent} %)`, value: level((l) => l.databaseConnectionsAlarm), color: cloudwatch.Color.ORANGE },
        { label: 'budgeted peak', value: level((l) => l.budgetedDatabasePeak), color: cloudwatch.Color.GREEN },
      ],
      width: 12,
    })];

    if (target.proxy) {
      const proxyDimensions = { ProxyName: target.proxy.dbProxyName };
      // Proxy metrics are published per proxy node; their Sum is the proxy's (aws-limits.md, [PXMON]).
      const proxyConnections = metric('DatabaseConnections', 'Sum', proxyDimensions);
      const allowed = metric('MaxDatabaseConnectionsAllowed', 'Sum', proxyDimensions);
      const clientConnections = metric('ClientConnections', 'Sum', proxyDimensions);
      const borrowLatency = metric('DatabaseConnectionsBorrowLatency', 'Average', proxyDimensions);
      const pinned = metric('DatabaseConnectionsCurrentlySessionPinned', 'Sum', proxyDimensions);

      const percentOfAllowed = (part: cloudwatch.IMetric, partId: string, label: string) => new cloudwatch.MathExpression({
        expression: `100 * ${partId} / allowed`, usingMetrics: { [partId]: part, allowed }, period: PERIOD, label,
      });

      this.proxyConnectionsAlarm = alarm('ProxyConnections', percentOfAllowed(proxyConnections, 'connections', 'Proxy connections, % of allowed'),
        thresholds.proxyConnectionsPercent, atOrAbove,
        `the proxy uses ${thresholds.proxyConnectionsPercent} % or more of MaxDatabaseConnectionsAllowed; clients will soon wait to borrow. `
          + 'Check which consumer grew, and the proxy\'s pinned connections.');
      this.clientConnectionsAlarm = alarm('ClientConnections', clientConnections, level((l) => l.budgetedClientPeak), above,
        'more client connections to the proxy than the budget\'s worst case: a client outside the budget, '
          + 'a pool larger than it was given, or connections leaking. Compare the clients with the budget\'s consumers (connection-budget report).');
      this.borrowLatencyAlarm = alarm('BorrowLatency', borrowLatency, thresholds.borrowLatencyMicroseconds, above,
        `clients wait more than ${thresholds.borrowLatencyMicroseconds} µs on average to borrow a database connection from the proxy: `
          + 'its connections are exhausted. Look for long transactions, pinned sessions, or a consumer above its budget.');
      this.pinnedConnectionsAlarm = alarm('PinnedConnections', percentOfAllowed(pinned, 'pinned', 'Pinned connections, % of allowed'),
        thresholds.pinnedConnectionsPercent, atOrAbove,
        `${thresholds.pinnedConnectionsPercent} % or more of the proxy's connections are pinned to one client session each, `
          + 'so the proxy no longer multiplexes them. Find the statements that pin (proxy debug logging) and avoid them, or use sessionPinningFilters.');
      alarms.push(this.proxyConnectionsAlarm, this.clientConnectionsAlarm, this.borrowLatencyAlarm, this.pinnedConnectionsAlarm);

      graphs.push(
        new cloudwatch.GraphWidget({
          title: 'Proxy connections',
          left: [labelled(proxyConnections, 'Proxy connections to the database'), labelled(allowed, 'MaxDatabaseConnectionsAllowed'), labelled(clientConnections, 'Client connections to the proxy')],
          leftAnnotations: [{ label: 'budgeted client peak', value: level((l) => l.budgetedClientPeak), color: cloudwatch.Color.GREEN }],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Borrow latency and pinning',
          left: [labelled(borrowLatency, 'Borrow latency (µs)')],
          leftAnnotations: [{ label: 'alarm', value: thresholds.borrowLatencyMicroseconds, color: cloudwatch.Color.ORANGE }],
          right: [labelled(pinned, 'Session-pinned connections')],
          width: 12,
        }),
      );
    }

    if (props.alarmTopic) {
      const action = new cwActions.SnsAction(props.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [new cloudwatch.TextWidget({ markdown: Lazy.string({ produce: () => allocationTable(budget) }), width: 24, height: 8 })],
        graphs,
        [new cloudwatch.AlarmStatusWidget({ title: 'Connection budget alarms', alarms, width: 24 })],
      ],
    });
    // The body is one JSON text: in pieces, a change of the budget is a short line of `cdk diff`, not the whole body.
    const body = this.dashboard.node.defaultChild as cloudwatch.CfnDashboard;
    const whole = body.dashboardBody;
    // Split after resolution, as a post-processor: CDK's own pass still sees (and rewrites) every reference in the body, such
    // as a database in another stack, which becomes an import.
    body.dashboardBody = Token.asString({
      creationStack: [],
      resolve: (context: IResolveContext) => {
        context.registerPostProcessor({ postProcess: (resolved) => splitJoinedText(resolved) });
        return whole;
      },
    });
  }
}

/** A metric without a label: an alarm on a labelled metric renders as a metric query, harder to read in the console. */
function metric(metricName: string, statistic: string, dimensionsMap: Record<string, string>): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: NAMESPACE, metricName, statistic, dimensionsMap, period: PERIOD });
}

/** The same metric, labelled for a graph. */
function labelled(m: cloudwatch.Metric, label: string): cloudwatch.Metric {
  return m.with({ label });
}

/** A Markdown table of the budget: capacity, and every consumer with its pool and worst case. */
function allocationTable(budget: ConnectionBudget): string {
  const evaluation = budget._evaluation();
  const lines = [`### Connection budget ${budget.node.path}`, ''];
  const { totals, capacity } = evaluation;
  if (capacity && totals.ceiling !== undefined) {
    lines.push(`Worst case **${totals.demand}** of ceiling **${totals.ceiling}** (max_connections ${capacity.maxConnections.value}), headroom ${totals.headroom}.`, '');
  }
  lines.push('Consumer | Kind | Pool | Peak instances | Worst case', '---|---|---|---|---');
  for (const c of evaluation.consumers) {
    lines.push(`${c.input.path} | ${c.input.kind}${c.direct ? ' (direct)' : ''} | ${c.poolSize} | ${c.instances?.peak ?? '?'} | ${c.demand}`);
  }
  return lines.join('\n');
}

interface Thresholds {
  readonly databaseConnectionsPercent: number;
  readonly proxyConnectionsPercent: number;
  readonly borrowLatencyMicroseconds: number;
  readonly pinnedConnectionsPercent: number;
  readonly evaluationMinutes: number;
}

function validThresholds(t: ConnectionBudgetAlarmThresholds, path: string): Thresholds {
  const problems: string[] = [];
  const percent = (name: string, value: number | undefined, fallback: number) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0 && value <= 100)) {
      problems.push(`${name} must be above 0 and at most 100, got ${describeNumber(value)}`);
    }
    return value ?? fallback;
  };
  let result: Thresholds = {
    databaseConnectionsPercent: percent('databaseConnectionsPercent', t.databaseConnectionsPercent, DEFAULT_DATABASE_CONNECTIONS_PERCENT),
    proxyConnectionsPercent: percent('proxyConnectionsPercent', t.proxyConnectionsPercent, DEFAULT_PROXY_CONNECTIONS_PERCENT),
    pinnedConnectionsPercent: percent('pinnedConnectionsPercent', t.pinnedConnectionsPercent, DEFAULT_PINNED_CONNECTIONS_PERCENT),
    borrowLatencyMicroseconds: DEFAULT_BORROW_LATENCY_MICROSECONDS,
    evaluationMinutes: t.evaluationMinutes ?? DEFAULT_EVALUATION_MINUTES,
  };
  if (t.borrowLatency !== undefined) {
    if (t.borrowLatency.isUnresolved() || t.borrowLatency.toMilliseconds() <= 0) {
      problems.push('borrowLatency must be a literal duration longer than 0');
    } else {
      result = { ...result, borrowLatencyMicroseconds: t.borrowLatency.toMilliseconds() * 1000 };
    }
  }
  if (t.evaluationMinutes !== undefined && !isWholeNumber(t.evaluationMinutes, 1)) {
    problems.push(`evaluationMinutes must be a whole number of at least 1, got ${describeNumber(t.evaluationMinutes)}`);
  }
  if (problems.length > 0) {
    throw new ConstructInputError(`ConnectionBudgetMonitoring '${forTerminal(path)}': invalid thresholds:\n- ${problems.join('\n- ')}`);
  }
  return result;
}
