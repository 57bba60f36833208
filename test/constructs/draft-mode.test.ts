import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_rds as rds } from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget } from '../../lib';
import { synthSample } from '../cli/apps';
import { run } from '../cli/fixtures';

const DRAFT = { 'connection-budget:enforce': 'false' };
const NOTE = 'draft synth (connection-budget:enforce=false): this error does not stop the synth, but connection-budget check and the pipeline fail on it; '
  + 'do not deploy this assembly';

// Web/Api at 30 tasks: 30 × 200 % × 10 + Worker 4 × 7 = 628 of the proxy ceiling 495.
describe('draft mode: -c connection-budget:enforce=false', () => {
  test('without it, the over-budget app fails synth (the baseline draft mode changes)', () => {
    expect(() => synthSample({ apiMaxTasks: 30 })).toThrow(/\[CB-OVER-CAPACITY\]/);
  });

  test('with it, synth writes the templates and warns with each error and what still fails', () => {
    const outdir = synthSample({ apiMaxTasks: 30, context: DRAFT });
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Data.template.json'), 'utf8')) as { Metadata: Record<string, unknown> };
    expect(Object.keys(template.Metadata)).toContain('ConnectionBudget:Data/Budget');
    const warnings = JSON.parse(fs.readFileSync(path.join(outdir, 'Data.metadata.json'), 'utf8'))['/Data/Budget']
      .filter((m: { type: string }) => m.type === 'aws:cdk:warning').map((m: { data: string }) => m.data);
    expect(warnings).toEqual([expect.stringMatching(/^ConnectionBudget 'Data\/Budget': worst-case demand 628 exceeds the proxy ceiling 495 by 133: .* \[CB-OVER-CAPACITY\] \(draft synth/)]);
    expect(warnings[0].endsWith(`[CB-OVER-CAPACITY] (${NOTE})`)).toBe(true);

    // report shows the failing budget (exit 1), check fails on it.
    const report = run(['report', outdir]);
    expect(report.code).toBe(1);
    expect(report.stdout).toMatch(/Web\/Api\s.*600/);
    expect(report.stdout).toContain('CB-OVER-CAPACITY');
    const check = run(['check', outdir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("x CB-CHECK-BUDGET-ERRORS 'Data/Budget': CB-OVER-CAPACITY: ConnectionBudget 'Data/Budget': worst-case demand 628 exceeds");
  });

  test('an error only the templates show (a raw override) is demoted too, and check still fails on it', () => {
    const outdir = synthSample({
      context: DRAFT,
      change: ({ web }) => {
        const target = web.node.findAll().find((c): c is appscaling.CfnScalableTarget => c instanceof appscaling.CfnScalableTarget)!;
        target.addPropertyOverride('MaxCapacity', 60);
      },
    });
    // The CLI rebuilds the budget from the templates: 60 tasks × 200 % × pool 10 + the Worker's 28.
    const check = run(['check', outdir]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('worst case 1228 of 495');
    expect(check.stdout).toContain('CB-OVER-CAPACITY');
  });

  test('a context value other than true or false is refused at construction', () => {
    const app = new App({ context: { 'connection-budget:enforce': 'off' } });
    const stack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const database = new rds.DatabaseInstance(stack, 'Db', { engine: rds.DatabaseInstanceEngine.POSTGRES, vpc });
    expect(() => new ConnectionBudget(stack, 'Budget', { database: DatabaseTarget.fromInstance(database), maxConnections: 100 })).toThrow(
      "ConnectionBudget 'Data/Budget': the context value connection-budget:enforce is \"off\"; it must be true (the default) or false "
      + '(budget errors become warnings, e.g. cdk synth -c connection-budget:enforce=false).');
  });

  test('the context as cdk.json gives it (a boolean) works the same', () => {
    const outdir = synthSample({ apiMaxTasks: 30, context: { 'connection-budget:enforce': false } });
    expect(fs.existsSync(path.join(outdir, 'Data.template.json'))).toBe(true);
    expect(run(['check', outdir]).code).toBe(1);
  });
});
