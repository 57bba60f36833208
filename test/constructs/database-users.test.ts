import { App, CfnResource, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BudgetedDatabase, BudgetedDatabaseProps, ConnectionBudget, PoolSettingsPreset, PoolSize } from '../../lib';
import { MYSQL_MAX_USER_NAME_LENGTH } from '../../lib/budget';
import { ledgerOf } from '../helpers/ledgers';
import { DATABASE_USERS_TYPE } from '../../lib/constructs/database-users';
import { synthErrors } from './harness';

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
const MYSQL = rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 });

/** A database in one stack, an ECS service and a Lambda function consuming it from another. */
function platform(props: Partial<BudgetedDatabaseProps> = {}, change?: (db: BudgetedDatabase) => void) {
  const root = new App();
  const data = new Stack(root, 'Data');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const db = new BudgetedDatabase(data, 'Db', { vpc, instanceEngine: POSTGRES, maxConnections: 400, ...props });
  const services = new Stack(root, 'Services');
  const cluster = new ecs.Cluster(services, 'Cluster', { vpc });
  const taskDefinition = new ecs.FargateTaskDefinition(services, 'WebTask');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
  const web = new ecs.FargateService(services, 'Web', { cluster, taskDefinition, desiredCount: 4, minHealthyPercent: 100 });
  const fn = new lambda.Function(services, 'Report', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'),
    vpc, reservedConcurrentExecutions: 5,
  });
  const webHandle = db.budget.addEcsService(web, { pool: PoolSize.fixed(10) }); // 4 × 200 % × 10 = 80
  const fnHandle = db.budget.addLambdaFunction(fn, { poolSettings: PoolSettingsPreset.nodePostgres() }); // 5 × 1 = 5
  change?.(db);
  const errors = synthErrors(root);
  // A failed verification fails every later synth too: the templates exist only for an app that synthesizes.
  const templates = errors.length === 0 ? { dataTemplate: Template.fromStack(data), servicesTemplate: Template.fromStack(services) }
    : { dataTemplate: undefined as unknown as Template, servicesTemplate: undefined as unknown as Template };
  return { root, data, services, db, errors, webHandle, fnHandle, ...templates };
}


/** Every IAM policy statement of a template that names a resource, with the roles the policy is attached to. */
function statementsOf(template: Template): Array<{ roles: unknown[]; actions: string[]; resources: string }> {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
    .map((s) => ({ roles: policy.Properties.Roles as unknown[], actions: [s.Action].flat() as string[], resources: JSON.stringify(s.Resource) })));
}

describe('BudgetedDatabase gives each consumer its own database user', () => {
  const p = platform();
  const ledger = ledgerOf(p.data, 'Data/Db/Budget');
  const users = Object.values(p.dataTemplate.findResources(DATABASE_USERS_TYPE));
  const masterSecretId = Object.entries(p.dataTemplate.findResources('AWS::SecretsManager::Secret'))
    .find(([, r]) => JSON.stringify(r.Properties.GenerateSecretString.SecretStringTemplate).includes('postgres'))![0];
  // The master secret as the instance's attachment names it (what the construct hands out), and the secret itself.
  const masterIds = [masterSecretId, Object.keys(p.dataTemplate.findResources('AWS::SecretsManager::SecretTargetAttachment', {
    Properties: { SecretId: { Ref: masterSecretId } },
  }))[0]];
  const namesMaster = (text: string) => masterIds.some((id) => text.includes(`"${id}"`));

  test('synth passes, and the handles and the ledger name each consumer\'s user', () => {
    expect(p.errors).toEqual([]);
    expect(p.webHandle.databaseUser).toBe('cb_services_web_e9a7a9a3');
    expect(p.fnHandle.databaseUser).toBe('cb_services_report_87eac8c4');
    expect(ledger.consumers.map((c) => [c.path, c.inputs?.databaseUser, c.demand])).toEqual([
      ['Services/Report', 'cb_services_report_87eac8c4', 5],
      ['Services/Web', 'cb_services_web_e9a7a9a3', 80],
    ]);
  });

  test('the user manager sets each user\'s connection limit to the consumer\'s worst case', () => {
    expect(users).toHaveLength(1);
    const properties = users[0].Properties;
    expect(properties).toMatchObject({ DatabasePath: 'Data/Db', Access: 'cb_consumers', DatabaseName: '', MasterSecretArn: { Ref: masterIds[1] } });
    // Users is a JSON string with the secrets' ARNs joined in: the limits are the ledger's demands.
    const text = JSON.stringify(properties.Users);
    expect(text).toContain('\\"name\\":\\"cb_services_web_e9a7a9a3\\"');
    expect(text).toContain('\\"connectionLimit\\":80');
    expect(text).toContain('\\"connectionLimit\\":5');
  });

  test('each user has its own secret, registered with the proxy beside the master\'s (for admin and migrations)', () => {
    const secrets = p.dataTemplate.findResources('AWS::SecretsManager::Secret');
    const usernames = Object.values(secrets).map((s) => JSON.parse(s.Properties.GenerateSecretString.SecretStringTemplate).username).sort();
    expect(usernames).toEqual(['cb_services_report_87eac8c4', 'cb_services_web_e9a7a9a3', 'postgres']);
    const proxy = Object.values(p.dataTemplate.findResources('AWS::RDS::DBProxy'))[0];
    const auth = proxy.Properties.Auth as Array<{ SecretArn: unknown; IAMAuth: string }>;
    expect(auth).toHaveLength(3);
    expect(namesMaster(JSON.stringify(auth[0]))).toBe(true);
    expect(namesMaster(JSON.stringify(auth.slice(1)))).toBe(false);
    expect(auth.every((a) => a.IAMAuth === 'DISABLED')).toBe(true);
  });

  test('the user manager may read the master secret and every user\'s secret, whose passwords it sets', () => {
    const managerReads = statementsOf(p.dataTemplate).filter((s) => /DbUsersHandlerServiceRole/.test(JSON.stringify(s.roles)) && s.actions.includes('secretsmanager:GetSecretValue'));
    const read = managerReads.map((s) => s.resources).join();
    const userSecrets = Object.keys(p.dataTemplate.findResources('AWS::SecretsManager::SecretTargetAttachment')).filter((id) => id.startsWith('DbUserscb'));
    expect(userSecrets).toHaveLength(2);
    for (const id of [...userSecrets, masterIds[1]]) expect(read).toContain(`"${id}"`);
  });

  test('no consumer role can read the master secret; each reads its own secret only', () => {
    const consumerStatements = statementsOf(p.servicesTemplate).filter((s) => s.actions.includes('secretsmanager:GetSecretValue'));
    expect(consumerStatements).toHaveLength(2);
    for (const statement of consumerStatements) {
      expect(namesMaster(statement.resources)).toBe(false);
    }
    // In the whole app, only the proxy's role and the user manager's read the master secret.
    const readers = [...statementsOf(p.dataTemplate), ...statementsOf(p.servicesTemplate)]
      .filter((s) => s.actions.includes('secretsmanager:GetSecretValue') && namesMaster(s.resources));
    expect(readers.map((s) => JSON.stringify(s.roles))).toEqual([
      expect.stringMatching(/^\[\{"Ref":"DbProxyRole[0-9A-F]{8}"\}\]$/), expect.stringMatching(/^\[\{"Ref":"DbUsersHandlerServiceRole[0-9A-F]{8}"\}\]$/),
    ]);
  });

  test('each consumer receives its user and the ARN of its secret, never a password', () => {
    p.servicesTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Environment: Match.arrayWith([
          { Name: 'DB_USER', Value: 'cb_services_web_e9a7a9a3' },
          { Name: 'DB_SECRET_ARN', Value: Match.anyValue() },
        ]),
      })],
    });
    p.servicesTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PGUSER: 'cb_services_report_87eac8c4', PG_SECRET_ARN: Match.anyValue() }) },
    });
    expect(JSON.stringify(p.servicesTemplate.toJSON())).not.toMatch(/PASSWORD/);
  });

  test('the secrets rotate, each only after the user manager ran (it creates the users, and logs in as the master user)', () => {
    const schedules = p.dataTemplate.findResources('AWS::SecretsManager::RotationSchedule');
    expect(Object.keys(schedules)).toHaveLength(3);
    const afterManager = Object.values(schedules).filter((s) => (s.DependsOn ?? []).some((d: string) => /^DbUsers[0-9A-F]{8}$/.test(d)));
    expect(afterManager).toHaveLength(3);
    for (const schedule of Object.values(schedules)) {
      expect(schedule.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
    }
  });

  test('the user manager and the master\'s rotation are reservations of the budget, with their security groups as clients', () => {
    expect(ledger.inputs?.reservations.map((r) => [r.name, r.connections, r.clients.length])).toEqual([
      ['user-manager', 1, 1],
      ['secret-rotation', 1, 1],
    ]);
  });

  test('consumers deploy after the user manager has made their users', () => {
    // The user manager is in the data stack: the service stack waits for it.
    expect(p.services.dependencies.map((d) => d.node.path)).toEqual(['Data']);
    expect(p.services.node.findAll().find((c) => c.node.path === 'Services/Web/Service')!.node.dependencies.map((d) => d.node.path))
      .toContain('Data/Db/Users/Resource');
  });
});

describe('BudgetedDatabase with IAM authentication', () => {
  const p = platform({ proxyIamAuth: true });

  test('each consumer\'s role may connect through the proxy as its own user only', () => {
    expect(p.errors).toEqual([]);
    const connects = statementsOf(p.servicesTemplate).filter((s) => s.actions.includes('rds-db:connect'));
    expect(connects.map((s) => s.resources.match(/\/(cb_[a-z0-9_]+)/)?.[1] ?? s.resources).sort())
      .toEqual(['cb_services_report_87eac8c4', 'cb_services_web_e9a7a9a3']);
    const proxy = Object.values(p.dataTemplate.findResources('AWS::RDS::DBProxy'))[0];
    expect((proxy.Properties.Auth as Array<{ IAMAuth: string }>).map((a) => a.IAMAuth)).toEqual(['REQUIRED', 'REQUIRED', 'REQUIRED']);
  });
});

describe('BudgetedDatabase with consumerUsers and secretRotation off', () => {
  const p = platform({ consumerUsers: false, secretRotation: false });

  test('the proxy keeps the master secret, no user manager runs, nothing rotates, nothing is reserved for them', () => {
    expect(p.errors).toEqual([]);
    p.dataTemplate.resourceCountIs(DATABASE_USERS_TYPE, 0);
    p.dataTemplate.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    p.dataTemplate.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(ledgerOf(p.data, 'Data/Db/Budget').inputs?.reservations).toEqual([]);
    expect(ledgerOf(p.data, 'Data/Db/Budget').consumers.map((c) => c.inputs?.databaseUser)).toEqual([null, null]);
    expect(p.webHandle.databaseUser).toBeUndefined();
  });
});

describe('BudgetedDatabase on MySQL', () => {
  const p = platform({ instanceEngine: MYSQL });

  test('user names fit MySQL\'s 32 characters', () => {
    expect(p.errors).toEqual([]);
    const names = ledgerOf(p.data, 'Data/Db/Budget').consumers.map((c) => c.inputs?.databaseUser as string);
    expect(names).toEqual(['cb_services_report_87eac8c4', 'cb_services_web_e9a7a9a3']);
    expect(names.every((n) => n.length <= MYSQL_MAX_USER_NAME_LENGTH)).toBe(true);
  });
});

describe('a user manager changed after the budget computed', () => {
  const usersL1 = (db: BudgetedDatabase) => db.node.findChild('Users').node.findChild('Resource').node.defaultChild as CfnResource;
  const web = 'cb_services_web_e9a7a9a3';
  const report = 'cb_services_report_87eac8c4';

  test.each([
    ['a raised limit', JSON.stringify([{ name: web, secretArn: 'a', connectionLimit: 1000 }, { name: report, secretArn: 'b', connectionLimit: 5 }]),
      `the ledger gives the connection limit of the database user '${web}' of 'Services/Web' as 80 (its worst case as the templates deploy it), but the templates give 1000 (in the Users of 'Data/Db/Users/Resource').`],
    ['a user left out', JSON.stringify([{ name: report, secretArn: 'b', connectionLimit: 5 }]),
      `the ledger gives the connection limit of the database user '${web}' of 'Services/Web' as 80 in one Custom::ConnectionBudgetDatabaseUsers, but the templates give no user manager listing the user.`],
  ])('%s fails synth with CB-LEDGER-DIFFERS', (_, users, message) => {
    const p = platform({}, (db) => usersL1(db).addPropertyOverride('Users', users));
    expect(p.errors).toEqual([expect.stringContaining(message)]);
    expect(p.errors[0]).toMatch(/\[CB-LEDGER-DIFFERS\]$/);
  });

  test('an override that raises a consumer\'s worst case names both sides of the user\'s limit: what deploys, and what the manager sets', () => {
    // GIVEN the service's DesiredCount overridden from 4 to 10: 10 × 200 % × pool 10 = 200, its user still limited to 80
    const p = platform({}, (db) => (db.node.root.node.findChild('Services').node.findChild('Web').node.defaultChild as CfnResource)
      .addPropertyOverride('DesiredCount', 10));
    expect(p.errors).toContainEqual(expect.stringContaining(`the ledger gives the connection limit of the database user '${web}' of 'Services/Web' as 200 `
      + "(its worst case as the templates deploy it), but the templates give 80 (in the Users of 'Data/Db/Users/Resource')."));
  });

  test('a manager pointed at another host fails synth with CB-LEDGER-DIFFERS', () => {
    const p = platform({}, (db) => usersL1(db).addPropertyOverride('Host', 'other-db.example.com'));
    expect(p.errors).toEqual([expect.stringContaining(
      "ConnectionBudget 'Data/Db/Budget': the ledger gives the Host of the user manager 'Data/Db/Users/Resource' as the endpoint of 'Data/Db/Instance', "
      + "but the templates give 'other-db.example.com'.")]);
    expect(p.errors[0]).toMatch(/\[CB-LEDGER-DIFFERS\]$/);
  });
});

describe('an allocation gets a database user of its own, which the team\'s consumers share', () => {
  const root = new App();
  const data = new Stack(root, 'Data');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const db = new BudgetedDatabase(data, 'Db', { vpc, instanceEngine: POSTGRES, maxConnections: 400 });
  const allocation = db.budget.addAllocation({ name: 'orders', connections: 30 });
  const team = new Stack(root, 'Team');
  const teamVpc = new ec2.Vpc(team, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:DatabaseUserscbdatadbbudgetallo-AbCdEf';
  const teamBudget = ConnectionBudget.fromAllocation(team, 'Budget', {
    owningBudgetPath: 'Data/Db/Budget', allocationName: 'orders',
    attributes: { connections: 30, engine: 'rds-postgresql', proxyEndpoint: 'proxy.example', clientSecurityGroupId: 'sg-0123456789abcdef0', databaseUser: 'cb_orders_user', secretArn },
  });
  const taskDefinition = new ecs.FargateTaskDefinition(team, 'OrdersTask');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
  const orders = new ecs.FargateService(team, 'Orders', { cluster: new ecs.Cluster(team, 'Cluster', { vpc: teamVpc }), taskDefinition, desiredCount: 2, minHealthyPercent: 100 });
  const handle = teamBudget.addEcsService(orders, { pool: PoolSize.fixed(5) });
  const errors = synthErrors(root);
  const dataTemplate = Template.fromStack(data);
  const teamTemplate = Template.fromStack(team);
  const user = 'cb_data_db_budget_allocation_orders_fb232cac';

  test('the record names the allocation\'s user and its secret, never the master secret', () => {
    expect(errors).toEqual([]);
    const record = Object.values(dataTemplate.findResources('AWS::SSM::Parameter'))[0].Properties.Value;
    const text = JSON.stringify(record);
    expect(text).toContain(`\\"databaseUser\\":\\"${user}\\"`);
    // The ARN joined in right after `"secretArn":"` is the allocation user's secret (its attachment), not the master's.
    const parts = record['Fn::Join'][1] as unknown[];
    const at = parts.findIndex((p) => typeof p === 'string' && p.endsWith('"secretArn":"'));
    expect(parts[at + 1]).toEqual({ Ref: expect.stringMatching(/^DbUserscbdatadbbudgetallocationordersfb232cacAttachment[0-9A-F]{8}$/) });
    expect(text).not.toMatch(/DbInstanceSecretAttachment|DbSecret/);
    expect(allocation.allocationName).toBe('orders');
  });

  test('the user manager limits the allocation\'s user to the connections granted', () => {
    const users = JSON.stringify(Object.values(dataTemplate.findResources(DATABASE_USERS_TYPE))[0].Properties.Users);
    expect(users).toContain(`\\"name\\":\\"${user}\\"`);
    expect(users).toContain('\\"connectionLimit\\":30');
    expect(ledgerOf(data, 'Data/Db/Budget').inputs?.reservations.find((r) => r.name === 'allocation:orders')?.databaseUser).toBe(user);
  });

  test('each team consumer connects as the allocation\'s user, and its role may read that secret only', () => {
    expect(handle.databaseUser).toBe('cb_orders_user');
    teamTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'DB_USER', Value: 'cb_orders_user' }, { Name: 'DB_SECRET_ARN', Value: secretArn }]) })],
    });
    const reads = statementsOf(teamTemplate).filter((s) => s.actions.includes('secretsmanager:GetSecretValue'));
    expect(reads.map((s) => s.resources)).toEqual([JSON.stringify(secretArn)]);
    const ledger = ledgerOf(team, 'Team/Budget');
    expect(ledger.inputs?.allocation?.databaseUser).toBe('cb_orders_user');
    // The team's consumers share the user: its limit is the allocation, not any one consumer's worst case.
    expect(ledger.consumers.map((c) => c.inputs?.databaseUser)).toEqual([null]);
  });

  test('attributes name the user and its secret together', () => {
    const app = new App();
    const stack = new Stack(app, 'T');
    expect(() => ConnectionBudget.fromAllocation(stack, 'Budget', {
      owningBudgetPath: 'Data/Db/Budget', allocationName: 'orders',
      attributes: { connections: 30, engine: 'rds-postgresql', proxyEndpoint: 'proxy.example', clientSecurityGroupId: 'sg-0123456789abcdef0', databaseUser: 'cb_orders_user' },
    })).toThrow("attributes.databaseUser and attributes.secretArn go together: the user's password is in that secret; give both, as the record names them, or neither");
  });
});

describe('a consumer that would connect as another user', () => {
  test('a user variable overwritten after registration fails synth with CB-VARIABLE-OVERWRITTEN', () => {
    const p = platform({}, (db) => {
      const web = db.node.root.node.findAll().find((c) => c.node.path === 'Services/WebTask') as ecs.FargateTaskDefinition;
      web.defaultContainer!.addEnvironment('DB_USER', 'postgres');
    });
    expect(p.errors).toEqual([
      "[Services/Web] ConnectionBudget 'Data/Db/Budget': the container 'app' of 'Services/WebTask' deploys DB_USER as 'postgres', but the budget delivered "
      + "'cb_services_web_e9a7a9a3' and counts that. Remove the other assignment of DB_USER (addEnvironment, an override, a secret); to change the pool, "
      + "change the consumer's options where it is registered. [CB-VARIABLE-OVERWRITTEN]",
    ]);
  });

  const setup = () => {
    const root = new App();
    const stack = new Stack(root, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const db = new BudgetedDatabase(stack, 'Db', { vpc, instanceEngine: POSTGRES, maxConnections: 400 });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'WebTask');
    const container = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const web = new ecs.FargateService(stack, 'Web', { cluster: new ecs.Cluster(stack, 'Cluster', { vpc }), taskDefinition, desiredCount: 2, minHealthyPercent: 100 });
    return { db, web, container };
  };

  test('an app that sets the user variable itself is refused', () => {
    const { db, web, container } = setup();
    container.addEnvironment('DB_USER', 'postgres');
    expect(() => db.budget.addEcsService(web, { pool: PoolSize.fixed(5) })).toThrow(
      "ConnectionBudget 'Data/Db/Budget': addEcsService('Data/Web'): container 'app' of 'Data/WebTask' already sets DB_USER, so it would not connect as its own "
      + "database user 'cb_data_web_36e37506', whose connection limit the database enforces; remove the app's own value, or pass a poolSettings preset with another prefix.");
  });

  test('two pool sets of one container whose presets share the user variable are refused', () => {
    const { db, web } = setup();
    db.budget.addEcsService(web, { pool: PoolSize.fixed(5), poolSettings: PoolSettingsPreset.nodePostgres() });
    expect(() => db.budget.addEcsService(web, { pool: PoolSize.fixed(5), poolName: 'pgx', poolSettings: PoolSettingsPreset.pgx() })).toThrow(
      "container 'app' of 'Data/WebTask' already receives PGUSER for another pool set; each pool set connects as its own database user with its own limit: "
      + "give this one a preset with its own variables (for example PoolSettingsPreset.generic('CACHE_DB_POOL')).");
  });
});

describe('the user manager holds only what it needs', () => {
  const p = platform();

  test('its group reaches Secrets Manager over HTTPS and the database on its port, nothing else', () => {
    const groups = p.dataTemplate.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'Connection budget user manager of Data/Db/Instance' } });
    const [id] = Object.keys(groups);
    expect(groups[id].Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: 'Secrets Manager', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }]);
    const toDatabase = Object.values(p.dataTemplate.findResources('AWS::EC2::SecurityGroupEgress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes(id));
    // The database's port, as the instance reports it.
    const port = { 'Fn::GetAtt': [expect.stringMatching(/^DbInstance/), 'Endpoint.Port'] };
    expect(toDatabase.map((r) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([[port, port]]);
  });

  test('its role may read the secrets, and not describe stacks (it has no rollback to let through)', () => {
    const actions = statementsOf(p.dataTemplate).filter((s) => /DbUsersHandlerServiceRole/.test(JSON.stringify(s.roles))).flatMap((s) => s.actions);
    expect(actions).not.toContain('cloudformation:DescribeStacks');
    expect(actions).toContain('secretsmanager:GetSecretValue');
  });

  test('BudgetedDatabase exposes it, so a migration that grants cb_consumers can wait for it', () => {
    expect(p.db.userManager?.node.path).toBe('Data/Db/Users/Resource');
  });
});
