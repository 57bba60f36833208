import { App, Annotations as CoreAnnotations, Duration, Lazy, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { BudgetedDatabase, BudgetedDatabaseProps, PoolSize } from '../../lib';
import { estimateMaxConnections, formatProblem, LedgerJson } from '../../lib/budget';
import { ledgerOf } from '../helpers/ledgers';
import { run } from '../cli/fixtures';
import { synthErrors } from './harness';

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
const AURORA_MYSQL = rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_08_2 });
const AURORA_POSTGRES = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 });

function app(context?: Record<string, string>) {
  const root = new App({ context });
  const data = new Stack(root, 'Data');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const services = new Stack(root, 'Services');
  const cluster = new ecs.Cluster(services, 'Cluster', { vpc });
  const service = (name: string, desiredCount: number) => {
    const taskDefinition = new ecs.FargateTaskDefinition(services, `${name}Task`);
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    return new ecs.FargateService(services, name, { cluster, taskDefinition, desiredCount, minHealthyPercent: 100 });
  };
  return { root, data, vpc, services, service };
}

describe('BudgetedDatabase on RDS for PostgreSQL', () => {
  const a = app();
  const db = new BudgetedDatabase(a.data, 'Db', {
    vpc: a.vpc, instanceEngine: POSTGRES, maxConnections: 800, statementTimeout: Duration.minutes(2),
    reservations: [{ name: 'migrations', connections: 10 }, { name: 'bi', connections: 20, throughProxy: true }],
  });
  db.budget.addEcsService(a.service('Web', 10), { pool: PoolSize.fixed(10) }); // 10 × 200 % × 10 = 200
  const errors = synthErrors(a.root);
  const template = Template.fromStack(a.data);
  const evaluation = db.budget._evaluation();

  test('synth passes', () => {
    expect(errors).toEqual([]);
  });

  test('the parameter group sets the budget\'s max_connections, TLS and the leak guards', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: {
        'max_connections': '800', 'rds.force_ssl': '1', 'idle_in_transaction_session_timeout': '300000', 'statement_timeout': '120000',
      },
    });
    expect(evaluation.maxConnections).toEqual({ value: 800, source: 'parameter-group', basis: "parameter group 'Data/Db/Parameters'" });
    expect(evaluation.problems.map((p) => p.id)).not.toContain('CB-ESTIMATED-MAX-CONNECTIONS');
  });

  test('the proxy target group gets the derived MaxConnectionsPercent', () => {
    // usable = 800 − 5 − 30 − 2 (the user manager, the secret rotation) = 763; with the 20 reserved through the proxy it
    // may have 783: floor(97.9) = 97 %.
    expect(evaluation.capacity?.proxy).toMatchObject({ maxConnectionsPercent: 97, derived: true, ceiling: 776 });
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', {
      ConnectionPoolConfigurationInfo: { MaxConnectionsPercent: 97, ConnectionBorrowTimeout: 30 },
    });
    template.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, IdleClientTimeout: 1800, Auth: [Match.objectLike({ IAMAuth: 'DISABLED' }), Match.objectLike({ IAMAuth: 'DISABLED' })] });
  });

  test('the database is secure by default', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
      Properties: Match.objectLike({
        StorageEncrypted: true, DeletionProtection: true, MultiAZ: true, BackupRetentionPeriod: 7,
        EnableIAMDatabaseAuthentication: true, PubliclyAccessible: false,
        MasterUserPassword: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')])] },
      }),
    });
  });

  test('a change of max_connections asks for a reboot, acknowledgeable per value', () => {
    Annotations.fromStack(a.data).hasWarning('/Data/Db', Match.stringLikeRegexp(
      "^max_connections is a static parameter: a new value \\(now 800\\) takes effect only when 'Data/Db/Instance' reboots.*\\[ack: CB-MAX-CONNECTIONS-REBOOT-800\\]$"));
  });

  test('the acknowledgement ID the CDK CLI prints (up to the first "]") acknowledges the warning', () => {
    const warning = Annotations.fromStack(a.data).findWarning('/Data/Db', Match.stringLikeRegexp('CB-MAX-CONNECTIONS-REBOOT'))[0];
    // The CLI prints "Acknowledge with 'Annotation::<id>'", cutting the ID at the first ']'.
    const printed = /\[ack: ([^\]]*)/.exec(String(warning.entry.data))![1];
    expect(printed).toBe('CB-MAX-CONNECTIONS-REBOOT-800');
    const b = app();
    const acknowledged = new BudgetedDatabase(b.data, 'Db', { vpc: b.vpc, instanceEngine: POSTGRES, maxConnections: 800 });
    acknowledged.budget.addEcsService(b.service('Web', 2), { pool: PoolSize.fixed(10) });
    CoreAnnotations.of(acknowledged).acknowledgeWarning(printed, 'Rebooted');
    synthErrors(b.root);
    expect(Annotations.fromStack(b.data).findWarning('/Data/Db', Match.stringLikeRegexp('CB-MAX-CONNECTIONS-REBOOT'))).toEqual([]);
  });
});

describe('BudgetedDatabase on Aurora MySQL', () => {
  const a = app();
  const db = new BudgetedDatabase(a.data, 'Db', { vpc: a.vpc, clusterEngine: AURORA_MYSQL, readers: 2, reservations: [{ name: 'admin', connections: 10 }] });
  db.budget.addEcsService(a.service('Web', 4), { pool: PoolSize.fixed(10) });
  const errors = synthErrors(a.root);
  const template = Template.fromStack(a.data);

  test('every instance gets the published default for its class as an explicit max_connections', () => {
    expect(errors).toEqual([]);
    expect(db.maxConnections).toBe(1000); // Aurora MySQL db.r6g.large, the official table
    template.resourceCountIs('AWS::RDS::DBInstance', 3);
    template.allResourcesProperties('AWS::RDS::DBInstance', { DBParameterGroupName: { Ref: Match.stringLikeRegexp('^DbInstanceParameters') } });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { max_connections: '1000' } });
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: { require_secure_transport: 'ON' } });
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true, DeletionProtection: true, EnableIAMDatabaseAuthentication: true });
  });

  test('the proxy keeps the reservations free (10, the user manager\'s 1, the secret rotation\'s 1): floor(100 × 988 / 1000) = 98 %', () => {
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', { ConnectionPoolConfigurationInfo: { MaxConnectionsPercent: 98 } });
    expect(db.budget._evaluation().capacity?.effectiveCeiling).toBe(980 - 5);
  });
});

test('without maxConnections an RDS instance gets the conservative estimate written out', () => {
  const a = app();
  const db = new BudgetedDatabase(a.data, 'Db', { vpc: a.vpc, instanceEngine: POSTGRES });
  const estimate = estimateMaxConnections('rds-postgresql', { kind: 'provisioned', instanceClass: 'db.r6g.large' })!.value;
  expect(db.maxConnections).toBe(estimate);
  Template.fromStack(a.data).hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { max_connections: String(estimate) } });
});

test('invalid properties fail at once, all named', () => {
  const a = app();
  expect(() => new BudgetedDatabase(a.data, 'Both', { vpc: a.vpc, instanceEngine: POSTGRES, clusterEngine: AURORA_MYSQL })).toThrow(
    "BudgetedDatabase 'Data/Both': invalid properties:\n- give exactly one of instanceEngine (an RDS DB instance) and clusterEngine (an Aurora cluster)");
  expect(() => new BudgetedDatabase(a.data, 'Bad', {
    vpc: a.vpc, clusterEngine: AURORA_MYSQL, maxConnections: 0, readers: -1, multiAz: true,
    idleInTransactionSessionTimeout: Duration.minutes(1), parameters: { max_connections: '5', innodb_lock_wait_timeout: '10' },
  })).toThrow("BudgetedDatabase 'Data/Bad': invalid properties:\n"
    + '- maxConnections must be a whole number from 1 to 16000, got 0\n'
    + '- readers must be a whole number from 0 to 15, got -1\n'
    + '- multiAz and allocatedStorageGiB apply to an RDS DB instance; an Aurora cluster gets its availability from readers and sizes its storage itself\n'
    + '- idleInTransactionSessionTimeout and statementTimeout are PostgreSQL parameters; set MySQL timeouts in parameters\n'
    + '- parameters may not set max_connections: the construct manages them (use maxConnections, idleInTransactionSessionTimeout or statementTimeout)');
  expect(() => new BudgetedDatabase(a.data, 'SqlServer', {
    vpc: a.vpc, instanceEngine: rds.DatabaseInstanceEngine.sqlServerSe({ version: rds.SqlServerEngineVersion.VER_16 }),
  })).toThrow("BudgetedDatabase 'Data/SqlServer': invalid properties:\n- engine 'sqlserver-se' is not supported; supported: postgres, mysql, mariadb, aurora-postgresql, aurora-mysql, aurora");
  expect(() => new BudgetedDatabase(a.data, 'Readers', { vpc: a.vpc, instanceEngine: POSTGRES, readers: 1 })).toThrow(
    '- readers apply to an Aurora cluster; use multiAz for an RDS DB instance');
  expect(() => new BudgetedDatabase(a.data, 'Unknown', { vpc: a.vpc, instanceEngine: POSTGRES, instanceType: new ec2.InstanceType('q9.large') })).toThrow(
    "BudgetedDatabase 'Data/Unknown': max_connections is unknown for db.q9.large; pass maxConnections.");
});

describe('BudgetedDatabase over its capacity', () => {
  test('the fix names its maxConnections property, not a parameter group it manages', () => {
    const a = app();
    const db = new BudgetedDatabase(a.data, 'Db', { vpc: a.vpc, instanceEngine: POSTGRES, maxConnections: 100 });
    db.budget.addEcsService(a.service('Web', 10), { pool: PoolSize.fixed(10) }); // 10 × 200 % × 10 = 200
    const errors = synthErrors(a.root);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\[Data\/Db\/Budget\] ConnectionBudget 'Data\/Db\/Budget': worst-case demand 200 exceeds/);
    expect(errors[0]).toContain("or raise max_connections from 100 to at least 214 (the maxConnections of the BudgetedDatabase 'Data/Db'). [CB-OVER-CAPACITY]");
  });
});

describe('BudgetedDatabase on Aurora Serverless v2', () => {
  const a = app();
  // 2 ACU lies between the published 1- and 4-ACU rows: the 1-ACU row, 189, is written.
  const db = new BudgetedDatabase(a.data, 'Db', { vpc: a.vpc, clusterEngine: AURORA_POSTGRES, serverlessV2MaxCapacityAcu: 2 });
  db.budget.addEcsService(a.service('Web', 4), { pool: PoolSize.fixed(10) }); // 4 × 200 % × 10 = 80
  // A published maximum, and the default minimum of 0.5 ACU, at which Aurora PostgreSQL caps max_connections at 2000.
  const capped = new BudgetedDatabase(a.data, 'Capped', { vpc: a.vpc, clusterEngine: AURORA_POSTGRES, serverlessV2MaxCapacityAcu: 32 });
  capped.budget.addEcsService(a.service('Jobs', 4), { pool: PoolSize.fixed(10) });
  const explicit = new BudgetedDatabase(a.data, 'Explicit', {
    vpc: a.vpc, clusterEngine: AURORA_MYSQL, serverlessV2MinCapacityAcu: 1, serverlessV2MaxCapacityAcu: 2.5, maxConnections: 150,
  });
  explicit.budget.addEcsService(a.service('Admin', 1), { pool: PoolSize.fixed(10) });
  const errors = synthErrors(a.root);
  const template = Template.fromStack(a.data);
  const propertiesOf = (type: string, logicalIdPrefix: string) => Object.entries(template.findResources(type))
    .filter(([logicalId]) => logicalId.startsWith(logicalIdPrefix)).map(([, resource]) => resource.Properties);

  test('the writer and the reader are Serverless v2 instances in promotion tiers 0 and 1, with the cluster\'s capacity', () => {
    expect(errors).toEqual([]);
    expect(propertiesOf('AWS::RDS::DBCluster', 'DbCluster').map((p) => p.ServerlessV2ScalingConfiguration)).toEqual([{ MinCapacity: 0.5, MaxCapacity: 2 }]);
    expect(propertiesOf('AWS::RDS::DBCluster', 'ExplicitCluster').map((p) => p.ServerlessV2ScalingConfiguration)).toEqual([{ MinCapacity: 1, MaxCapacity: 2.5 }]);
    expect(propertiesOf('AWS::RDS::DBInstance', 'DbCluster').map((p) => `${p.DBInstanceClass} ${p.PromotionTier}`).sort()).toEqual(['db.serverless 0', 'db.serverless 1']);
    // Both use the parameter group that sets max_connections.
    expect(propertiesOf('AWS::RDS::DBInstance', 'DbCluster').map((p) => p.DBParameterGroupName.Ref)).toEqual([
      expect.stringMatching(/^DbInstanceParameters/), expect.stringMatching(/^DbInstanceParameters/),
    ]);
  });

  test('the parameter group gets the published row at or below the maximum, capped for PostgreSQL at a minimum of 0.5 ACU; maxConnections wins', () => {
    const written = (id: string) => propertiesOf('AWS::RDS::DBParameterGroup', `${id}InstanceParameters`).map((p) => p.Parameters.max_connections);
    expect([written('Db'), written('Capped'), written('Explicit')]).toEqual([['189'], ['2000'], ['150']]);
    expect([db.maxConnections, capped.maxConnections, explicit.maxConnections]).toEqual([189, 2000, 150]);
  });

  test('the budget counts what the parameter group deploys', () => {
    // 189 − 3 engine reserve − 2 (the user manager, the secret rotation) = 184 usable; the proxy gets floor(100 × 184 / 189)
    // = 97 % = 183, less 5 kept by RDS Proxy.
    expect(db.budget._evaluation().capacity).toMatchObject({
      maxConnections: { value: 189, source: 'parameter-group', basis: "parameter group 'Data/Db/InstanceParameters'" },
      usable: 184, proxy: { maxConnectionsPercent: 97, ceiling: 183 }, effectiveCeiling: 178,
    });
    // 2000 − 3 − 2 = 1995 usable; floor(100 × 1995 / 2000) = 99 % = 1980, less 5.
    expect(capped.budget._evaluation().capacity?.effectiveCeiling).toBe(1975);
  });

  test('between published maximums, a warning names the row used and why, and how to get another value', () => {
    expect(Annotations.fromStack(a.data).findWarning('/Data/Db', Match.stringLikeRegexp('CB-SERVERLESS-V2-UNPUBLISHED-MAXIMUM')).map((w) => w.entry.data)).toEqual([
      "The parameter group of 'Data/Db' gets max_connections 189, the Aurora PostgreSQL value for Serverless v2 0.5-2 ACU: the published row for a maximum "
      + 'of 1 ACU, the nearest below 2 ACU (AWS publishes rows for 1, 4, 8, 16, 32, 64, 128 ACU only; between rows the lower is the safe side). '
      + "Aurora's own value at 2 ACU is not published and may be higher. Pass maxConnections to set one explicitly, or set serverlessV2MaxCapacityAcu to a "
      + 'published maximum: 1 ACU (max_connections 189) or 4 ACU (823); or acknowledge CB-SERVERLESS-V2-UNPUBLISHED-MAXIMUM on this construct to keep 189. '
      + '[ack: CB-SERVERLESS-V2-UNPUBLISHED-MAXIMUM]',
    ]);
    // A published maximum, or an explicit maxConnections, leaves nothing to say.
    expect(Annotations.fromStack(a.data).findWarning('*', Match.stringLikeRegexp('CB-SERVERLESS-V2-UNPUBLISHED-MAXIMUM'))).toHaveLength(1);
  });

  test('the ledger records the capacity whose published row was written, and only then', () => {
    expect(ledgerOf(a.data, 'Data/Db/Budget').inputs!.serverlessV2Default).toEqual({ path: 'Data/Db', minCapacityAcu: 0.5, maxCapacityAcu: 2 });
    expect(ledgerOf(a.data, 'Data/Explicit/Budget').inputs!.serverlessV2Default).toBeUndefined();
  });
});

describe('BudgetedDatabase on Aurora Serverless v2 over its capacity', () => {
  // Draft mode writes the failing budgets' templates, so the CLI's rebuild of each budget from them is checked too.
  const a = app({ 'connection-budget:enforce': 'false' });
  // 1-2 ACU gets the published 1-ACU row, 189: 178 for consumers; 10 tasks × 200 % × pool 10 = 200.
  const overDefault = new BudgetedDatabase(a.data, 'Db', { vpc: a.vpc, clusterEngine: AURORA_POSTGRES, serverlessV2MinCapacityAcu: 1, serverlessV2MaxCapacityAcu: 2 });
  overDefault.budget.addEcsService(a.service('Web', 10), { pool: PoolSize.fixed(10) });
  const overExplicit = new BudgetedDatabase(a.data, 'Explicit', {
    vpc: a.vpc, clusterEngine: AURORA_POSTGRES, serverlessV2MinCapacityAcu: 1, serverlessV2MaxCapacityAcu: 2, maxConnections: 189,
  });
  overExplicit.budget.addEcsService(a.service('Api', 10), { pool: PoolSize.fixed(10) });
  const report = JSON.parse(run(['report', '--format', 'json', a.root.synth().directory]).stdout) as { budgets: LedgerJson[] };
  const overCapacity = (db: BudgetedDatabase) => {
    const fixes = (problems: ReadonlyArray<{ id: string; fix: string }>) => problems.filter((p) => p.id === 'CB-OVER-CAPACITY').map((p) => p.fix);
    const evaluation = db.budget._evaluation();
    return {
      messages: evaluation.problems.filter((p) => p.id === 'CB-OVER-CAPACITY').map(formatProblem),
      fixes: fixes(evaluation.problems),
      rebuiltFixes: fixes(report.budgets.find((b) => b.budgetPath === db.budget.node.path)!.problems),
    };
  };

  test('on the published row, the fix raises the maximum capacity to the row that holds the demand, in synth and in the CLI', () => {
    const fix = "Lower the desired count of 'Services/Web' from 10 to 8, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), "
      + 'from 200 to 170, lower its pool from 10 to 8, or raise its serverlessV2MaxCapacityAcu from 2 ACU to 4 ACU '
      + "for the BudgetedDatabase 'Data/Db' (max_connections 189 → 823, the published row for 4 ACU).";
    expect(overCapacity(overDefault)).toEqual({
      messages: [
        "ConnectionBudget 'Data/Db/Budget': worst-case demand 200 exceeds the proxy ceiling 178 by 22: max_connections 189 "
        + "(parameter group 'Data/Db/InstanceParameters') × 97 % (derived by the budget) = 183, less 5 kept by RDS Proxy. Every consumer can peak at once "
        + "(CloudFormation deploys services in parallel); largest: 'Services/Web' 200 = 10 tasks (desired count) × 200 % rolling surge = 20 tasks × 1 process "
        + `× 1 pool × pool 10. ${fix} [CB-OVER-CAPACITY]`,
      ],
      fixes: [fix],
      rebuiltFixes: [fix],
    });
  });

  test('with maxConnections given, the fix raises maxConnections', () => {
    const fix = "Lower the desired count of 'Services/Api' from 10 to 8, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), "
      + "from 200 to 170, lower its pool from 10 to 8, or raise max_connections from 189 to at least 212 (the maxConnections of the BudgetedDatabase 'Data/Explicit').";
    expect(overCapacity(overExplicit)).toMatchObject({ fixes: [fix], rebuiltFixes: [fix] });
  });
});

test('invalid Serverless v2 properties fail at once, with the numbers and the fix', () => {
  const a = app();
  const failure = (id: string, props: Partial<BudgetedDatabaseProps>) => {
    try {
      new BudgetedDatabase(a.data, id, { vpc: a.vpc, clusterEngine: AURORA_POSTGRES, ...props });
      return 'no error';
    } catch (e) {
      return (e as Error).message;
    }
  };
  expect(failure('Instance', { clusterEngine: undefined, instanceEngine: POSTGRES, serverlessV2MaxCapacityAcu: 4 })).toBe(
    "BudgetedDatabase 'Data/Instance': invalid properties:\n"
    + '- serverlessV2MinCapacityAcu and serverlessV2MaxCapacityAcu apply to an Aurora cluster (clusterEngine); size an RDS DB instance with instanceType');
  expect(failure('Both', {
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE), serverlessV2MinCapacityAcu: 0.25, serverlessV2MaxCapacityAcu: 300,
  })).toBe("BudgetedDatabase 'Data/Both': invalid properties:\n"
    + '- instanceType and the Serverless v2 capacity both size the instances: give instanceType for provisioned instances, '
    + 'or serverlessV2MaxCapacityAcu (and serverlessV2MinCapacityAcu) for Aurora Serverless v2, not both\n'
    + '- serverlessV2MinCapacityAcu must be from 0 to 256 ACU in steps of 0.5, got 0.25\n'
    + '- serverlessV2MaxCapacityAcu must be from 1 to 256 ACU in steps of 0.5, got 300');
  expect(failure('MinimumOnly', { serverlessV2MinCapacityAcu: 1 })).toBe("BudgetedDatabase 'Data/MinimumOnly': invalid properties:\n"
    + '- serverlessV2MinCapacityAcu 1 needs serverlessV2MaxCapacityAcu: the maximum capacity makes the instances Aurora Serverless v2 and sets their max_connections');
  expect(failure('Half', { serverlessV2MaxCapacityAcu: 0.5 })).toBe(
    "BudgetedDatabase 'Data/Half': invalid properties:\n- serverlessV2MaxCapacityAcu must be from 1 to 256 ACU in steps of 0.5, got 0.5");
  expect(failure('Inverted', { serverlessV2MinCapacityAcu: 8, serverlessV2MaxCapacityAcu: 4 })).toBe("BudgetedDatabase 'Data/Inverted': invalid properties:\n"
    + '- serverlessV2MinCapacityAcu 8 is above serverlessV2MaxCapacityAcu 4: raise the maximum to at least 8, or lower the minimum to at most 4');
  const acu = Lazy.number({ produce: () => 8 });
  expect(failure('Token', { serverlessV2MaxCapacityAcu: acu })).toBe("BudgetedDatabase 'Data/Token': invalid properties:\n"
    + '- serverlessV2MaxCapacityAcu is a token, so the capacity, and with it the default max_connections, is unknown until deploy; '
    + 'give it as a literal number, or pass maxConnections');
  // With maxConnections given, the capacity may be known only at deploy.
  expect(failure('TokenWithMaxConnections', { serverlessV2MaxCapacityAcu: acu, maxConnections: 500 })).toBe('no error');
});
