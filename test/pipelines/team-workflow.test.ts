import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureCompiled, ROOT } from '../helpers/compiled-cli';

// The GitHub Actions workflow for a team's repository (bin/example/github/team-connection-budget.yml), its commands
// run locally on the example team app (bin/team) with stand-ins for `gh` and `aws`. One real synth serves as both the
// pull request's base and head: what changes between the runs is the live allocation record.

const GITHUB = path.join(ROOT, 'bin', 'example', 'github');
const workflow = fs.readFileSync(path.join(GITHUB, 'team-connection-budget.yml'), 'utf8');
const TEAM_DIR = path.join(ROOT, 'bin', 'team');
const CONTEXT = JSON.parse(fs.readFileSync(path.join(TEAM_DIR, 'cdk.context.json'), 'utf8')) as Record<string, string>;
/** The record cdk.context.json caches: the platform grants 'orders-team' 100 connections; the team's worst case is 93. */
const CACHED = JSON.parse(Object.values(CONTEXT)[0]) as Record<string, unknown>;
const PARAMETER = '/connection-budget/PlatformData/Database/Budget/allocations/orders-team';
const live = (connections: number) => JSON.stringify({ ...CACHED, connections });

/** The workflow's head synth, from the app's directory as APP_DIR names it. */
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'team-workflow-synth-'));
const synth = new Promise<{ code: number; stderr: string }>((resolve) => {
  const { CDK_VALIDATION: _off, CDK_CONTEXT_JSON: _inProcessOnly, ...env } = process.env;
  execFile('npx', ['cdk', 'synth', '--quiet', '--output', out], { cwd: TEAM_DIR, env: { ...env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
    (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
});
const scratch: string[] = [out];

beforeAll(async () => {
  ensureCompiled();
  const result = await synth;
  if (result.code !== 0) throw new Error(`cdk synth of bin/team failed (${result.code}):\n${result.stderr}`);
}, 300_000);
afterAll(async () => {
  await synth;
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Stand-ins on PATH: `aws` serves `parameters` (name → value) and logs its calls; `gh` keeps the comments in a folder. */
function standIns(parameters: Record<string, string>): { bin: string; comments: string; calls: () => string[] } {
  const bin = tempDir('team-workflow-bin-');
  const comments = tempDir('team-workflow-comments-');
  const store = tempDir('team-workflow-ssm-');
  for (const [name, value] of Object.entries(parameters)) fs.writeFileSync(path.join(store, name.replace(/\//g, '_')), `${value}\n`);
  fs.writeFileSync(path.join(bin, 'aws'), `#!/usr/bin/env bash
echo "$*" >> "${bin}/aws.log"
file="${store}/\${4//\\//_}"
if [ "$1 $2" = "ssm get-parameter" ] && [ -f "$file" ]; then cat "$file"
else echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2; exit 254; fi
`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'gh'), `#!/usr/bin/env bash
case "$*" in
  *"--paginate"*) ls "${comments}" | while read -r id; do head -n 1 "${comments}/$id" | grep -q '^<!-- connection-budget-diff -->' && echo "$id"; done ;;
  *"--method POST"*) body="\${@: -1}"; cp "\${body#body=@}" "${comments}/$(( $(ls "${comments}" | wc -l) + 101 ))" ;;
  *"--method PATCH"*) id="\${4##*/}"; body="\${@: -1}"; cp "\${body#body=@}" "${comments}/$id" ;;
esac
`, { mode: 0o755 });
  const log = path.join(bin, 'aws.log');
  return { bin, comments, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

/** Runs one of the workflow's scripts from the repository's root, as its steps do (working-directory: head). */
function script(name: string, args: string[], bin: string, env: Record<string, string> = {}) {
  const result = spawnSync('bash', [path.join(GITHUB, name), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    // This machine's bash reads ~/.bashrc even when not interactive; an empty home keeps its PATH changes out. npx's
    // notice of a newer npm, on stderr now and then, would make the scripts' own messages untestable.
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: bin, npm_config_update_notifier: 'false', AWS_REGION: 'eu-west-1', REPOSITORY: 'example-org/orders', PR_NUMBER: '3', GUARDRAILS: '', ...env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The workflow's last two steps: read the live records, then comment and check with them. */
function readAndComment(parameters: Record<string, string>) {
  const { bin, comments, calls } = standIns(parameters);
  const records = path.join(tempDir('team-workflow-records-'), 'allocation-records');
  const read = script('read-allocation-records.sh', [out, records], bin);
  const comment = script('connection-budget-comment.sh', [out, out], bin, { ALLOCATION_RECORDS: read.stdout });
  const posted = fs.readdirSync(comments).map((id) => fs.readFileSync(path.join(comments, id), 'utf8'));
  return { read, records, comment, posted, calls: calls() };
}

describe('the team workflow', () => {
  test('synthesizes both revisions from APP_DIR, reads the records with the optional role, then comments with them', () => {
    expect(workflow).toContain('APP_DIR: bin/team');
    expect(workflow).toContain('run: npm ci && cd "$APP_DIR" && npx cdk synth --quiet --output "$GITHUB_WORKSPACE/cdk.base.out"');
    expect(workflow).toContain('(cd "$APP_DIR" && npx cdk synth --quiet --output "$GITHUB_WORKSPACE/cdk.head.out") 2> ../head-synth.log || status=$?');
    expect(workflow).toContain("- uses: aws-actions/configure-aws-credentials@v4\n        if: env.AWS_ROLE_ARN != ''");
    expect(workflow).toContain("if: env.AWS_ROLE_ARN != '' && steps.head.outputs.status == '0'");
    expect(workflow).toContain('records="$(bash bin/example/github/read-allocation-records.sh ../cdk.head.out ../allocation-records)"\n'
      + '          echo "ALLOCATION_RECORDS=$records" >> "$GITHUB_ENV"');
    expect(workflow).toContain('run: bash bin/example/github/connection-budget-comment.sh ../cdk.base.out ../cdk.head.out');
  });

  test('reads the record of the team\'s looked-up allocation and passes it: the team fits, so the check passes', () => {
    const result = readAndComment({ [PARAMETER]: live(100) });
    expect(result.calls).toEqual([`ssm get-parameter --name ${PARAMETER} --query Parameter.Value --output text`]);
    expect(result.read).toEqual({ code: 0, stdout: `--allocation-record ${result.records}/0.json `, stderr: '' });
    expect(fs.readFileSync(`${result.records}/0.json`, 'utf8')).toBe(`${live(100)}\n`);
    expect(result.comment.code).toBe(0);
    expect(result.posted).toEqual([result.comment.stdout]);
    expect(result.comment.stdout).toContain(`| \`orders-team\` | \`PlatformData/Database/Budget\` (record \`${result.records}/0.json\`) | 100 | 93 | 7 | OrdersTeam/Budget 93 |`);
    expect(result.comment.stdout).toContain('✅ Passed: no budget errors.');
  });

  test('a record the owning app shrank below the team\'s worst case fails the check, with CB-ALLOCATION-EXCEEDED in the comment', () => {
    const result = readAndComment({ [PARAMETER]: live(80) });
    expect(result.comment.code).toBe(1);
    expect(result.posted[0]).toContain(`- **CB-CHECK-BUDGET-ERRORS** \`PlatformData/Database/Budget\`: CB-ALLOCATION-EXCEEDED: ConnectionBudget 'PlatformData/Database/Budget': `
      + `the allocation 'orders-team' grants 80 connections (record '${result.records}/0.json'), but the team budgets that use it can take 93 `
      + "('OrdersTeam/Budget' 93), 13 more.");
    expect(result.posted[0]).toContain("**CB-ALLOCATION-STALE**: ConnectionBudget 'OrdersTeam/Budget': was synthesized with the allocation 'orders-team' of "
      + `'PlatformData/Database/Budget' at 100 connections, but the owning budget now grants 80 (record '${result.records}/0.json').`);
  });

  test('a record that does not exist fails its step, naming the parameter, the budget and the owning budget', () => {
    const result = readAndComment({});
    expect(result.read).toEqual({
      code: 1, stdout: '',
      stderr: `The allocation record ${PARAMETER} does not exist in eu-west-1: the budget 'OrdersTeam/Budget' is built from the allocation 'orders-team' of `
        + "'PlatformData/Database/Budget', which the owning app does not publish there (never deployed, or the allocation was removed or renamed). Deploy "
        + 'the owning app with the allocation, or build the budget from one it grants.\n',
    });
  });

  test('without ALLOCATION_RECORDS the comment step checks as before: the owning budget is not given', () => {
    const { bin, comments } = standIns({});
    const result = script('connection-budget-comment.sh', [out, out], bin);
    expect(result.code).toBe(0);
    expect(fs.readdirSync(comments)).toEqual(['101']);
    expect(result.stdout).toContain("- Owner not given: OrdersTeam/Budget takes 93 from 'orders-team' of PlatformData/Database/Budget (synthesized with 100)");
  });

  test('read-allocation-records.sh says how to call it, and fails on what is not an assembly', () => {
    const { bin } = standIns({});
    expect(script('read-allocation-records.sh', [out], bin)).toEqual({ code: 2, stdout: '', stderr: 'Usage: read-allocation-records.sh ASSEMBLY DIR (expected 2 arguments, got 1)\n' });
    const missing = path.join(out, 'missing');
    const result = script('read-allocation-records.sh', [missing, tempDir('team-workflow-records-')], bin);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`connection-budget: '${missing}' does not exist. Pass a cloud assembly directory (cdk.out, written by cdk synth), `
      + 'a directory of templates, or a template file.\n');
  });
});
