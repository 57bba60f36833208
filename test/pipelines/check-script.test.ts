import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHECK_SCRIPT, guardrailArguments } from '../../lib/pipelines/check-script';
import { synthSample } from '../cli/apps';
import { directoryWith } from '../cli/fixtures';
import { BIN, ensureCompiled } from '../helpers/compiled-cli';

/**
 * Runs the check's buildspec command locally, as CodeBuild would, with a stand-in `aws` that serves the
 * deployed templates from a folder and records every other call, and the real connection-budget CLI.
 */
function runCheck(options: { head: string; deployed: Record<string, unknown>; guardrails?: string; notify?: boolean; assumeRoleFails?: boolean }) {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'check-bin-'));
  const deployed = directoryWith(Object.fromEntries(Object.entries(options.deployed).map(([stack, t]) => [`${stack}.json`, t])));
  const calls = path.join(bin, 'calls.log');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'check-work-'));
  fs.writeFileSync(path.join(bin, 'aws'), `#!/usr/bin/env bash
# One line per call: a multi-line argument (the SNS message) is folded.
printf '%s\\n' "$(printf '%s' "$*" | tr '\\n' ' ')" >> "${calls}"
case "$1 $2" in
  "sts assume-role") ${options.assumeRoleFails ? 'echo "AccessDenied" >&2; exit 254' : 'echo \'{"AccessKeyId":"AKIA","SecretAccessKey":"s","SessionToken":"t"}\''} ;;
  "cloudformation get-template")
    [ "$AWS_ACCESS_KEY_ID" = AKIA ] || { echo "not the deploy role's credentials" >&2; exit 255; }
    file="${deployed}/$4.json"
    if [ -f "$file" ]; then cat "$file"; else echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id $4 does not exist" >&2; exit 254; fi ;;
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
  for (const dir of [bin, deployed, work]) fs.rmSync(dir, { recursive: true, force: true });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls: log };
}

/**
 * A stage assembly as CDK Pipelines hands it over, from a real app in a Stage 'Production': Data in production's
 * account, Web and Jobs environment-agnostic, whose role placeholders the check fills from the build's ARN.
 */
function stageAssembly(apiMaxTasks: number): { root: string; stage: string } {
  const root = synthSample({ apiMaxTasks, stage: 'Production' });
  const stage = path.join(root, 'assembly-Production');
  const manifestFile = path.join(stage, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  for (const artifact of Object.values<any>(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack')) {
    const data = artifact.displayName === 'Production/Data';
    artifact.environment = data ? 'aws://222222222222/eu-west-1' : 'aws://unknown-account/unknown-region';
    artifact.properties.assumeRoleArn = data ? 'arn:${AWS::Partition}:iam::222222222222:role/deploy' : 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/deploy-${AWS::Region}';
  }
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  return { root, stage };
}

const base = stageAssembly(10);
const changed = stageAssembly(12);
const head = changed.stage;
const unchanged = base.stage;
/** The base's templates as get-template returns them, by stack name. */
const deployedBase = Object.fromEntries(['Data', 'Web', 'Jobs'].map((stack) => [`Production-${stack}`, {
  TemplateBody: JSON.parse(fs.readFileSync(path.join(base.stage, `Production${stack}${templateSuffix(base.stage, stack)}`), 'utf8')),
}]));

/** The template file of a stack in a stage assembly: `Production<Stack><hash>.template.json`. */
function templateSuffix(stage: string, stack: string): string {
  const file = fs.readdirSync(stage).find((f) => f.startsWith(`Production${stack}`) && f.endsWith('.template.json'))!;
  return file.slice(`Production${stack}`.length);
}

beforeAll(() => ensureCompiled());
afterAll(() => {
  for (const dir of [base.root, changed.root]) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the check\'s buildspec command, run locally', () => {
  test('without a budget change it approves itself: exit 0, the approver invoked with the approval action', () => {
    const result = runCheck({ head: unchanged, deployed: deployedBase });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('MESSAGE=No connection budget change.');
    expect(result.stdout).toContain('LINK=https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/111111111111/projects/ConnectionBudgetCheck/build/ConnectionBudgetCheck:0f1e2d3c/?region=eu-west-1');
    expect(result.calls).toEqual([
      'sts assume-role --role-arn arn:aws:iam::222222222222:role/deploy --role-session-name connection-budget-check --query Credentials --output json',
      'cloudformation get-template --stack-name Production-Data --region eu-west-1 --output json',
      'sts assume-role --role-arn arn:aws:iam::111111111111:role/deploy-eu-west-1 --role-session-name connection-budget-check --query Credentials --output json',
      'cloudformation get-template --stack-name Production-Web --region eu-west-1 --output json',
      'sts assume-role --role-arn arn:aws:iam::111111111111:role/deploy-eu-west-1 --role-session-name connection-budget-check --query Credentials --output json',
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

  test('a deploy role it cannot assume fails the action with exit 3', () => {
    const result = runCheck({ head, deployed: deployedBase, assumeRoleFails: true });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('AccessDenied');
  });
});

test('guardrail options become CLI arguments in a stable order', () => {
  expect(guardrailArguments({})).toBe('');
  expect(guardrailArguments({ strict: true, maxIncreasePercent: 25, minHeadroom: 10, maxIncrease: 50, maxUtilizationPercent: 90 }))
    .toBe('--max-utilization 90 --min-headroom 10 --max-increase 50 --max-increase-percent 25 --strict');
});
