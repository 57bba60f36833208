import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildPlatform } from '../../bin/example/platform';
import { OrdersTeamStack, TEAM_ENV } from '../../bin/example/team';
import { DATABASE_USERS_TYPE } from '../../lib/constructs/database-users';
import { ledgerOf } from '../helpers/ledgers';

/**
 * Issue 16's acceptance on the example platform itself: every consumer connects as its own user with a limit (its worst
 * case), and no role but the proxy's and the user manager's may read the master secret, in any stack of the app.
 */
describe('containment in the example platform', () => {
  const app = new App();
  const stacks = buildPlatform(app);
  const templates = Object.values(stacks).map((stack: Stack) => Template.fromStack(stack));
  const data = templates[0];
  const ledger = ledgerOf(app, 'PlatformData/Database/Budget');
  const master = Object.entries(data.findResources('AWS::SecretsManager::Secret'))
    .filter(([, r]) => JSON.parse(r.Properties.GenerateSecretString.SecretStringTemplate).username === 'postgres').map(([id]) => id);
  const masterIds = [...master, ...Object.keys(data.findResources('AWS::SecretsManager::SecretTargetAttachment', { Properties: { SecretId: { Ref: master[0] } } }))];

  test('every consumer has its own user, and the user manager limits each to the consumer\'s worst case', () => {
    expect(master).toHaveLength(1);
    const users = ledger.consumers.map((c) => c.inputs?.databaseUser);
    expect(users.every((u) => typeof u === 'string' && u.startsWith('cb_'))).toBe(true);
    expect(new Set(users).size).toBe(ledger.consumers.length);
    const listed = JSON.stringify(Object.values(data.findResources(DATABASE_USERS_TYPE))[0].Properties.Users);
    for (const c of ledger.consumers) {
      expect(listed).toContain(`\\"name\\":\\"${c.inputs!.databaseUser}\\",\\"secretArn\\":\\"`);
      expect(listed).toMatch(new RegExp(`\\\\"name\\\\":\\\\"${c.inputs!.databaseUser}\\\\",\\\\"secretArn\\\\":\\\\"",\\{[^}]+\\},"\\\\",\\\\"connectionLimit\\\\":${c.demand}\\}`));
    }
  });

  test('no consumer role can read the master secret: only the proxy\'s role and the user manager\'s may', () => {
    const readers = templates.flatMap((t) => Object.values(t.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
        .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue') && masterIds.some((id) => JSON.stringify(s.Resource).includes(`"${id}"`)))
        .map(() => JSON.stringify(policy.Properties.Roles))));
    expect(readers).toEqual([
      expect.stringMatching(/^\[\{"Ref":"DatabaseProxyRole[0-9A-F]{8}"\}\]$/),
      expect.stringMatching(/^\[\{"Ref":"DatabaseUsersHandlerServiceRole[0-9A-F]{8}"\}\]$/),
    ]);
  });

  test('the orders team\'s consumers connect as the allocation\'s user from its cached record, and may read that secret only', () => {
    const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bin', 'team', 'cdk.context.json'), 'utf8'));
    const teamApp = new App({ context });
    const team = Template.fromStack(new OrdersTeamStack(teamApp, 'OrdersTeam', { env: TEAM_ENV }));
    const record = JSON.parse(Object.values(context)[0] as string);
    const reads = Object.values(team.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
        .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue')).map((s) => s.Resource));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r === record.secretArn)).toBe(true);
    expect(JSON.stringify(team.toJSON())).toContain(`"Value":"${record.databaseUser}"`);
  });
});
