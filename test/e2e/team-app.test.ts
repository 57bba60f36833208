import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildPlatform } from '../../bin/example/platform';
import { OrdersTeamStack, TEAM_ENV } from '../../bin/example/team';
import { handler } from '../../lib/guards/allocation-guard-handler';
import { synthErrors } from '../constructs/harness';
import { BIN, ensureCompiled, ROOT } from '../helpers/compiled-cli';

// The second example app (bin/team-app.ts), a team's app in its own repository: bin/team holds its cdk.json and the
// cdk.context.json with the cached allocation record, so it synthesizes offline.

const TEAM_DIR = path.join(ROOT, 'bin', 'team');
const CONTEXT = JSON.parse(fs.readFileSync(path.join(TEAM_DIR, 'cdk.context.json'), 'utf8')) as Record<string, string>;
const CACHED = JSON.parse(Object.values(CONTEXT)[0]) as Record<string, unknown>;

/** The real cdk synth from the team's directory, as the team runs it. */
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'team-synth-'));
const synth = new Promise<{ code: number; stderr: string }>((resolve) => {
  const { CDK_VALIDATION: _off, CDK_CONTEXT_JSON: _inProcessOnly, ...env } = process.env;
  execFile('npx', ['cdk', 'synth', '--quiet', '--output', out], { cwd: TEAM_DIR, env: { ...env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
    (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
});
afterAll(async () => {
  await synth;
  fs.rmSync(out, { recursive: true, force: true });
});

/** The team app in-process, with its cached context. */
function teamApp(orderApiMaxCapacity?: number): { app: App; stack: OrdersTeamStack } {
  const app = new App({ context: CONTEXT });
  return { app, stack: new OrdersTeamStack(app, 'OrdersTeam', { env: TEAM_ENV, orderApiMaxCapacity }) };
}

describe('the orders team app', () => {
  test('synthesizes offline with the real cdk synth, from its cached allocation record', async () => {
    const result = await synth;
    expect(result.code).toBe(0);
    const template = JSON.parse(fs.readFileSync(path.join(out, 'OrdersTeam.template.json'), 'utf8'));
    const guards = Object.values<any>(template.Resources).filter((r) => r.Type === 'Custom::ConnectionBudgetAllocationGuard');
    expect(guards.map((g) => g.Properties.Record)).toEqual(['{{resolve:ssm:/connection-budget/PlatformData/Database/Budget/allocations/orders-team}}']);
  }, 300_000);

  test('its pools fill the allocation the platform grants', () => {
    const { app, stack } = teamApp();
    expect(synthErrors(app)).toEqual([]);
    const evaluation = stack.budget._evaluation();
    expect(evaluation.totals).toMatchObject({ ceiling: 100, demand: 93 });
    expect(evaluation.consumers.map((c) => [c.input.path, c.poolSize, c.demand])).toEqual([
      ['OrdersTeam/OrderApi/Service', 9, 81], ['OrdersTeam/Reconciler/QueueProcessingFargateService', 3, 12],
    ]);
  });

  test('fails synth when its consumers exceed the allocation, naming it', () => {
    const { app } = teamApp(8);
    const errors = synthErrors(app);
    expect(errors).toEqual([expect.stringContaining("ConnectionBudget 'OrdersTeam/Budget': worst-case demand 108 (every derived pool at its minimum) "
      + "exceeds the allocation 100 by 8: the allocation 'orders-team' of 'PlatformData/Database/Budget' 100")]);
    expect(errors[0]).toMatch(/raise the allocation 'orders-team' of 'PlatformData\/Database\/Budget' from 100 to at least 108 .*\[CB-OVER-CAPACITY\]$/);
  });

  test('its cached record is the one the platform publishes', () => {
    const app = new App();
    const { data } = buildPlatform(app);
    const parameter = Object.values<any>(app.synth().getStackByName(data.stackName).template.Resources)
      .find((r) => r.Type === 'AWS::SSM::Parameter' && r.Properties.Name === '/connection-budget/PlatformData/Database/Budget/allocations/orders-team');
    // The platform's record holds deploy-time values (endpoint, group, secret) as tokens: compare everything else.
    const parts: unknown[] = parameter.Properties.Value['Fn::Join'][1];
    const published = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : '"<token>"')).join('').replace(/""<token>""/g, '"<token>"'));
    const deployTime = ['proxyEndpoint', 'clientSecurityGroupId', 'secretArn'];
    const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !deployTime.includes(k)));
    expect(strip(CACHED)).toEqual(strip(published));
  });
});

describe('the connection-budget CLI across both example apps', () => {
  test('report <platform> <team> shows the allocation the team uses, and check passes', async () => {
    ensureCompiled();
    const platformOut = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-synth-'));
    try {
      const app = new App({ outdir: platformOut });
      buildPlatform(app);
      app.synth();
      expect((await synth).code).toBe(0);
      const cli = (...args: string[]) => new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile('node', [BIN, ...args], { cwd: ROOT }, (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }));
      });
      const report = await cli('report', platformOut, out);
      expect(report.code).toBe(0);
      expect(report.stdout).toContain([
        'Allocations',
        '  ALLOCATION   OWNING BUDGET                 ALLOCATED  USED  HEADROOM  TEAMS (WORST CASE)',
        '  orders-team  PlatformData/Database/Budget        100    93         7  OrdersTeam/Budget 93',
      ].join('\n'));
      expect(report.stdout).toContain('2 budgets, 10 consumers; least headroom 7');
      expect((await cli('check', platformOut, out, '--strict')).code).toBe(0);
    } finally {
      fs.rmSync(platformOut, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('the deploy-time guard of the team app', () => {
  const { app, stack } = teamApp();
  const template = app.synth().getStackByName(stack.stackName).template;
  const guard = Object.values<any>(template.Resources).find((r) => r.Type === 'Custom::ConnectionBudgetAllocationGuard');
  const live = (connections: number) => ({ ...guard.Properties, Record: JSON.stringify({ ...CACHED, connections }) });

  test('passes at and above the team\'s worst case', async () => {
    expect(guard.Properties.WorstCase).toBe('93');
    await expect(handler({ RequestType: 'Create', ResourceProperties: live(93) })).resolves.toMatchObject({ Data: { Headroom: '0' } });
    await expect(handler({ RequestType: 'Create', ResourceProperties: live(100) })).resolves.toMatchObject({ Data: { Headroom: '7' } });
  });

  test('fails when the platform shrank the allocation below it', async () => {
    await expect(handler({ RequestType: 'Create', ResourceProperties: live(80) })).rejects.toThrow(
      "Connection budget 'OrdersTeam/Budget': its worst case of 93 connections exceeds the allocation 'orders-team' of 'PlatformData/Database/Budget', "
      + "which is now 80 connections (SSM parameter '/connection-budget/PlatformData/Database/Budget/allocations/orders-team'). This app was synthesized with 100");
  });
});
