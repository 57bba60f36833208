import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildPlatform } from '../../bin/example/platform';
import { OrdersTeamStack, TEAM_ENV } from '../../bin/example/team';
import { ConnectionBudgetChecks } from '../../lib';

const TEAM_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bin', 'team', 'cdk.context.json'), 'utf8'));

/** The example platform (or the orders team's app) with cdk-nag's AwsSolutions pack and this library's pack, as validation plugins. */
function nagApp(outdir: string, team = false): App {
  const app = new App({ outdir, context: team ? TEAM_CONTEXT : undefined });
  if (team) new OrdersTeamStack(app, 'OrdersTeam', { env: TEAM_ENV });
  else buildPlatform(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ConnectionBudgetChecks(app));
  return app;
}

describe('the example app under cdk-nag 3', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nag-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test.each([['platform', false], ['orders team', true]])('the %s app passes AwsSolutions and ConnectionBudget with no unacknowledged error', (_, team) => {
    const app = nagApp(fs.mkdtempSync(path.join(outdir, 'app-')), team as boolean);
    const appOutdir = app.outdir;
    let failure = '';
    try {
      app.synth();
    } catch (e) {
      failure = (e as Error).message;
    }
    const report = path.join(appOutdir, 'validation-report.json');
    const violations = fs.existsSync(report)
      ? JSON.parse(fs.readFileSync(report, 'utf8')).pluginReports.flatMap((p: any) => p.violations.map((v: any) => `${v.ruleName} (${v.severity})`))
      : [];
    expect({ failure, violations }).toEqual({ failure: '', violations: [] });
  });

  test('every acknowledgement carries a reason of a sentence or more', () => {
    const app = new App();
    buildPlatform(app);
    const acknowledgements = app.node.findAll().flatMap((c) => c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))));
    const ours = acknowledgements.filter((a) => /AwsSolutions|ConnectionBudget/.test(a.id));
    expect(ours.map((a) => a.id)).toEqual(expect.arrayContaining(['Annotation::AwsSolutions-ECS2', 'Annotation::AwsSolutions-RDS11']));
    // BudgetedDatabase rotates its secrets: nothing left to acknowledge there.
    expect(ours.map((a) => a.id)).not.toContain('Annotation::AwsSolutions-SMG4');
    for (const a of ours) {
      expect([a.path, a.id, a.reason.length >= 40 && a.reason.endsWith('.')]).toEqual([a.path, a.id, true]);
    }
  });
});
