import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHECK_SCRIPT, guardrailArguments } from '../../lib/pipelines/check-script';
import { ordersRecord, synthSample, synthTeam } from '../cli/apps';
import { directoryWith } from '../cli/fixtures';
import { BIN, ensureCompiled } from '../helpers/compiled-cli';

interface CheckOptions {
  readonly head: string;
  /** The deployed templates as get-template prints them, by stack name; a stack not here is not deployed. */
  readonly deployed: Record<string, unknown>;
  /** The SSM parameters in the stacks' accounts, as get-parameter --output text prints their values; one not here does not exist. */
  readonly parameters?: Record<string, string>;
  readonly guardrails?: string;
  readonly notify?: boolean;
  readonly assumeRoleFails?: boolean;
  /** The lookup roles may not read templates, as before bootstrap version 8. */
  readonly getTemplateDenied?: boolean;
}

/**
 * Runs the check's buildspec command locally, as CodeBuild would, with a stand-in `aws` that serves the deployed
 * templates and SSM parameters from folders and records every other call, and the real connection-budget CLI.
 * Each role's stand-in credentials say whether it is a lookup role or a deploy role, and the stand-in serves templates
 * and parameters to lookup roles only.
 */
function runCheck(options: CheckOptions) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'check-bin-'));
  const deployed = directoryWith(Object.fromEntries(Object.entries(options.deployed).map(([stack, t]) => [`${stack}.json`, t])));
  const parameters = directoryWith(Object.fromEntries(Object.entries(options.parameters ?? {}).map(([name, value]) => [`${name.replace(/\//g, '_')}.txt`, `${value}\n`])));
  const calls = path.join(bin, 'calls.log');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'check-work-'));
  fs.writeFileSync(path.join(bin, 'aws'), `#!/usr/bin/env bash
# One line per call: a multi-line argument (the SNS message) is folded.
printf '%s\\n' "$(printf '%s' "$*" | tr '\\n' ' ')" >> "${calls}"
case "$1 $2" in
  "sts assume-role") ${options.assumeRoleFails ? 'echo "AccessDenied" >&2; exit 254' : `case "$4" in *lookup-role*) key=LOOKUP ;; *) key=DEPLOY ;; esac
    echo "{\\"AccessKeyId\\":\\"$key\\",\\"SecretAccessKey\\":\\"s\\",\\"SessionToken\\":\\"t\\"}"`} ;;
  "cloudformation get-template")
    [ "$AWS_ACCESS_KEY_ID" = LOOKUP ] || { echo "not a lookup role's credentials" >&2; exit 255; }
    ${options.getTemplateDenied ? 'echo "An error occurred (AccessDenied) when calling the GetTemplate operation: not authorized to perform: cloudformation:GetTemplate" >&2; exit 254' : ''}
    file="${deployed}/$4.json"
    if [ -f "$file" ]; then cat "$file"; else echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id $4 does not exist" >&2; exit 254; fi ;;
  "ssm get-parameter")
    [ "$AWS_ACCESS_KEY_ID" = LOOKUP ] || { echo "not a lookup role's credentials" >&2; exit 255; }
    file="${parameters}/\${4//\\//_}.txt"
    if [ -f "$file" ]; then cat "$file"; else echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; fi ;;
  *) ;;
esac
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'connection-budget'), `#!/usr/bin/env bash\nexec node "${BIN}" "$@"\n`, { mode: 0o755 });
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH}`,
    // This machine's bash reads ~/.bashrc even when not interactive; an empty home keeps its PATH changes out.
    HOME: work,
    CODEBUILD_INITIATOR: 'codepipeline/PlatformPipeline',
    CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-1:111111111111:build/ConnectionBudgetCheck:0f1e2d3c',
    STAGE_DIR: options.head,
    GUARDRAILS: options.guardrails ?? '',
    STAGE_NAME: 'Production',
    ACTION_NAME: 'ConnectionBudget.Confirm',
    APPROVER: 'approver-function',
    ...(options.notify ? { NOTIFICATION_ARN: 'arn:aws:sns:eu-west-1:111111111111:budget', NOTIFICATION_SUBJECT: 'Connection budget change in Production' } : {}),
  };
  // The exported variables, printed the way CodeBuild would read them after the command.
  const result = spawnSync('bash', ['-c', `${CHECK_SCRIPT}\necho "LINK=$LINK"\necho "MESSAGE=$MESSAGE"`], { cwd: work, env, encoding: 'utf8' });
  const log = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [];
  for (const dir of [bin, deployed, parameters, work]) fs.rmSync(dir, { recursive: true, force: true });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls: log };
}

/**
 * A stage assembly as CDK Pipelines hands it over, from a real app in a Stage 'Production': Data in production's
 * account, Web and Jobs environment-agnostic, whose role placeholders the check fills from the build's ARN.
 * Each stack names the DefaultStackSynthesizer's deploy and lookup roles.
 * With `allocation`, Data/Budget grants the allocation 'orders' that many connections: the owning app.
 */
function stageAssembly(options: { apiMaxTasks: number; allocation?: number }): { root: string; stage: string } {
  const { allocation } = options;
  const root = synthSample({
    apiMaxTasks: options.apiMaxTasks,
    stage: 'Production',
    change: allocation === undefined ? undefined : ({ budget }) => budget.addAllocation({ name: 'orders', connections: allocation }),
  });
  const stage = path.join(root, 'assembly-Production');
  const manifestFile = path.join(stage, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  for (const artifact of Object.values<any>(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack')) {
    artifact.environment = artifact.displayName === 'Production/Data' ? 'aws://222222222222/eu-west-1' : 'aws://unknown-account/unknown-region';
  }
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  return { root, stage };
}

/** The templates of a stage assembly as get-template returns them, by stack name: what is deployed when it was. */
function deployedTemplates(stage: string): Record<string, unknown> {
  const manifest = JSON.parse(fs.readFileSync(path.join(stage, 'manifest.json'), 'utf8'));
  return Object.fromEntries(Object.values<any>(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack').map((a) => [
    a.properties.stackName, { TemplateBody: JSON.parse(fs.readFileSync(path.join(stage, a.properties.templateFile), 'utf8')) },
  ]));
}

/** The root of a team's app in stage Production, whose stage assembly is `assembly-Production`. */
const teamStage = (root: string) => path.join(root, 'assembly-Production');

const base = stageAssembly({ apiMaxTasks: 10 });
const changed = stageAssembly({ apiMaxTasks: 12 });
const head = changed.stage;
const unchanged = base.stage;
const deployedBase = deployedTemplates(base.stage);
// The owning app: the sample granting 'orders' 100 connections as deployed, 120 in the pipeline's revision.
const ownerDeployed = stageAssembly({ apiMaxTasks: 10, allocation: 100 });
const ownerRaised = stageAssembly({ apiMaxTasks: 10, allocation: 120 });
// A team's app in account 333333333333 (Orders/Api, a worst case of 100), its allocation record cached at 120; and before CDK looked it up.
const team = synthTeam({ stage: 'Production', lookup: 120 });
const pendingTeam = synthTeam({ stage: 'Production', lookup: 'pending' });
const RECORD = '/connection-budget/Data/Budget/allocations/orders';
const LOOKUP_ROLE = 'arn:aws:iam::333333333333:role/cdk-hnb659fds-lookup-role-333333333333-eu-west-1';
/** The roles the check assumed, in order. */
const assumed = (calls: string[]) => calls.filter((c) => c.startsWith('sts assume-role')).map((c) => c.split(' ')[3]);

beforeAll(() => ensureCompiled());
afterAll(() => {
  for (const dir of [base.root, changed.root, ownerDeployed.root, ownerRaised.root, team, pendingTeam]) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the check\'s buildspec command, run locally', () => {
  test('without a budget change it approves itself: exit 0, the approver invoked with the approval action', () => {
    const result = runCheck({ head: unchanged, deployed: deployedBase });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('MESSAGE=No connection budget change.');
    expect(result.stdout).toContain('LINK=https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/111111111111/projects/ConnectionBudgetCheck/build/ConnectionBudgetCheck:0f1e2d3c/?region=eu-west-1');
    // Each stack's template is read with its lookup role, placeholders filled from its environment or the build's.
    expect(result.calls).toEqual([
      'sts assume-role --role-arn arn:aws:iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-eu-west-1 --role-session-name connection-budget-check --query Credentials --output json',
      'cloudformation get-template --stack-name Production-Data --region eu-west-1 --output json',
      'sts assume-role --role-arn arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1 --role-session-name connection-budget-check --query Credentials --output json',
      'cloudformation get-template --stack-name Production-Web --region eu-west-1 --output json',
      'sts assume-role --role-arn arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1 --role-session-name connection-budget-check --query Credentials --output json',
      'cloudformation get-template --stack-name Production-Jobs --region eu-west-1 --output json',
      'lambda invoke --function-name approver-function --invocation-type Event --cli-binary-format raw-in-base64-out '
        + '--payload {"PipelineName":"PlatformPipeline","StageName":"Production","ActionName":"ConnectionBudget.Confirm"} approve.out',
    ]);
  });

  test('with a change it prints the Markdown report and leaves the approval to a person, with the summary as message', () => {
    const result = runCheck({ head, deployed: deployedBase, notify: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('<!-- connection-budget-diff -->');
    expect(result.stdout).toContain('| ~ | `Production/Web/Api` | +40 (200 → 240) | 10 | 20 → 24 |');
    expect(result.stdout).toContain('MESSAGE=1 of 1 budget changed (1 consumer changed): worst case +40 (228 → 268), headroom 267 → 227. Review the report in the build log, then approve.');
    expect(result.calls.some((c) => c.startsWith('lambda invoke'))).toBe(false);
    const publish = result.calls.find((c) => c.startsWith('sns publish'))!;
    expect(publish).toContain('--topic-arn arn:aws:sns:eu-west-1:111111111111:budget --subject Connection budget change in Production');
    expect(publish).toContain('https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/PlatformPipeline/view?region=eu-west-1');
  });

  test('a stack not deployed yet counts as an empty template: the budget is new, so a person approves', () => {
    const result = runCheck({ head, deployed: {} });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Production-Data is not deployed yet');
    expect(result.stdout).toContain('### + `Production/Data/Budget` (added)');
    expect(result.calls.some((c) => c.startsWith('lambda invoke'))).toBe(false);
  });

  test('a crossed guardrail fails the action with the report, before anything is approved', () => {
    const result = runCheck({ head, deployed: deployedBase, guardrails: guardrailArguments({ maxIncrease: 10, maxUtilizationPercent: 90 }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('- **CB-CHECK-MAX-INCREASE** `Production/Data/Budget`: worst case rises by 40 (228 → 268), more than --max-increase 10.');
    expect(result.stdout).toContain('connection-budget check failed with exit code 1; see the report above.');
    expect(result.calls.some((c) => c.startsWith('lambda invoke'))).toBe(false);
  });

  test('a lookup role it cannot assume fails the action with exit 3, naming the role and the bootstrap it needs', () => {
    const result = runCheck({ head, deployed: deployedBase, assumeRoleFails: true });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('AccessDenied\nCannot assume the lookup role arn:aws:iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-eu-west-1. '
      + "Bootstrap its environment (cdk bootstrap, version 8 or later) trusting this pipeline's account 111111111111: --trust or --trust-for-lookup.\n");
  });

  test('a lookup role that may not read templates (bootstrap before version 8) fails the action with exit 3, naming the fix', () => {
    const result = runCheck({ head, deployed: deployedBase, getTemplateDenied: true });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('Cannot read the deployed template of Production-Data with its lookup role arn:aws:iam::222222222222:role/'
      + 'cdk-hnb659fds-lookup-role-222222222222-eu-west-1: bootstrap its environment with cdk bootstrap, version 8 or later, whose lookup role may read every template.\n');
    expect(result.stdout).toContain('(AccessDenied) when calling the GetTemplate operation');
  });

  test('a stack that names no lookup role fails the action with exit 3 before any role is assumed, naming the stack and the fix', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'no-lookup-role-'));
    fs.cpSync(unchanged, copy, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'manifest.json'), 'utf8'));
    delete Object.values<any>(manifest.artifacts).find((a) => a.properties?.stackName === 'Production-Web').properties.lookupRole;
    fs.writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify(manifest));
    const result = runCheck({ head: copy, deployed: deployedBase });
    fs.rmSync(copy, { recursive: true, force: true });
    expect(result.code).toBe(3);
    expect(result.stderr).toBe("Stack Production-Web names no lookup role; the check reads deployed templates only with a stack's read-only lookup role, "
      + 'never its deploy role. Synthesize it with the DefaultStackSynthesizer (useLookupRoleForStackOperations not false).\n');
    expect(result.calls).toEqual([]);
  });
});

describe('the owning app\'s gate', () => {
  test('an allocation raised from 100 to 120 is a budget change: the report shows its line and a person approves', () => {
    const result = runCheck({ head: ownerRaised.stage, deployed: deployedTemplates(ownerDeployed.stage) });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('**1 of 1 budget changed: worst case 0 (228 → 228), headroom 167 → 147.**');
    expect(result.stdout).toContain("| ~ | reservation 'allocation:orders' | 100 (through the proxy) | 120 (through the proxy) |");
    expect(result.stdout).toContain('| `orders` | `Production/Data/Budget` | 120 | 0 | 120 | none |');
    expect(result.stdout).toContain('MESSAGE=1 of 1 budget changed: worst case 0 (228 → 228), headroom 167 → 147. Review the report in the build log, then approve.');
    expect(result.calls.some((c) => c.startsWith('lambda invoke'))).toBe(false);
    // The owning app reads no record: its allocations are in its own assembly.
    expect(result.calls.some((c) => c.startsWith('ssm'))).toBe(false);
  });
});

describe('a team\'s gate: its budget built from a looked-up allocation, judged by the live record', () => {
  const check = (parameters: Record<string, string>) => runCheck({ head: teamStage(team), deployed: deployedTemplates(teamStage(team)), parameters });

  test('reads the record with the lookup role of the budget\'s stack, where CDK looked it up, and passes it to check', () => {
    const result = check({ [RECORD]: ordersRecord(120) });
    expect(result.code).toBe(0);
    // The template and the record alike, with the lookup role only.
    expect(assumed(result.calls)).toEqual([LOOKUP_ROLE, LOOKUP_ROLE]);
    expect(result.calls.slice(2, 4)).toEqual([
      `sts assume-role --role-arn ${LOOKUP_ROLE} --role-session-name connection-budget-check --query Credentials --output json`,
      `ssm get-parameter --name ${RECORD} --query Parameter.Value --output text --region eu-west-1`,
    ]);
    expect(result.stdout).toContain('| `orders` | `Data/Budget` (record `records/0.json`) | 120 | 100 | 20 | Production/Orders/Budget 100 |');
    // Nothing changed and the team fits: it approves itself.
    expect(result.stdout).toContain('MESSAGE=No connection budget change.');
    expect(result.calls[4]).toMatch(/^lambda invoke /);
  });

  test('a record shrunk below the team\'s worst case fails the step with CB-ALLOCATION-EXCEEDED in the report', () => {
    const result = check({ [RECORD]: ordersRecord(80) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('| `orders` | `Data/Budget` (record `records/0.json`) | 80 | 100 | **-20** | Production/Orders/Budget 100 |');
    expect(result.stdout).toContain("- **CB-CHECK-BUDGET-ERRORS** `Data/Budget`: CB-ALLOCATION-EXCEEDED: ConnectionBudget 'Data/Budget': the allocation 'orders' "
      + "grants 80 connections (record 'records/0.json'), but the team budgets that use it can take 100 ('Production/Orders/Budget' 100), 20 more.");
    expect(result.stdout).toContain('connection-budget check failed with exit code 1; see the report above.');
    expect(result.calls.some((c) => c.startsWith('lambda invoke'))).toBe(false);
  });

  test('a record that does not exist fails the step, naming the parameter, the budget and the owning budget', () => {
    const result = check({});
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`The allocation record ${RECORD} does not exist in eu-west-1: the budget 'Production/Orders/Budget' is built from the allocation `
      + "'orders' of 'Data/Budget', which the owning app does not publish there (never deployed, or the allocation was removed or renamed). Deploy the "
      + 'owning app with the allocation, or build the budget from one it grants.\n');
  });

  test('a budget whose lookup never ran fails check on its own; no record is read for it', () => {
    const result = runCheck({ head: teamStage(pendingTeam), deployed: {} });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("- **CB-CHECK-BUDGET-ERRORS** `Production/Orders/Budget`: CB-ALLOCATION-NOT-LOOKED-UP: ConnectionBudget 'Production/Orders/Budget': "
      + "the allocation 'orders' of 'Data/Budget' has not been looked up yet");
    expect(result.calls.some((c) => c.startsWith('ssm'))).toBe(false);
  });
});

test('guardrail options become CLI arguments in a stable order', () => {
  expect(guardrailArguments({})).toBe('');
  expect(guardrailArguments({ strict: true, maxIncreasePercent: 25, minHeadroom: 10, maxIncrease: 50, maxUtilizationPercent: 90 }))
    .toBe('--max-utilization 90 --min-headroom 10 --max-increase 50 --max-increase-percent 25 --strict');
});
