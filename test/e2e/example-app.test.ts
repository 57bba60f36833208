import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isProgram } from '../../lib/cli/rehearse/servers';
import { BIN, ensureCompiled, ROOT } from '../helpers/compiled-cli';
import { documentation } from '../helpers/docs';

// The example app (cdk.json) through the real tools, as a user runs them: aws-cdk's synth and diff, and the
// connection-budget bin. Every synth of the file starts at load; each takes seconds and the machine has two cores.

/**
 * A bound on a stuck real `cdk synth`, never a verdict: the file's four synths run at once, and on a 2-core machine
 * busy with other work they took more than the suite's 120 s (seen in a CI run at ba792d4).
 */
jest.setTimeout(600_000);

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }
interface Synth extends Run { readonly out: string }

/** The environment a user's shell gives the real tools: CDK's own template validation on, as it is by default. */
const { CDK_VALIDATION: _off, CDK_CONTEXT_JSON: _inProcessOnly, ...userEnvironment } = process.env;

function exec(command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd: ROOT, env: { ...userEnvironment, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** The real cdk synth of the example app into a fresh folder. */
async function cdkSynth(...context: string[]): Promise<Synth> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  const run = await exec('npx', ['cdk', 'synth', '--quiet', '--output', out, ...context.flatMap((c) => ['--context', c])]);
  return { ...run, out };
}

/** A synth that must succeed: its output folder. */
async function synthesized(synth: Promise<Synth>, command = 'cdk synth'): Promise<string> {
  const run = await synth;
  if (run.code !== 0) {
    throw new Error(`${command} failed (${run.code}):\n${run.stderr}`);
  }
  return run.out;
}

const cli = (...args: string[]) => exec('node', [BIN, ...args]);

// The example as it is, and raised past the budget (storefront maximum 30).
const safeRun = cdkSynth();
const runs = Promise.all([safeRun, cdkSynth('storefrontMaxCapacity=30')]);
// The real cdk diff of the version raised within it (12) against the safe template: each synthesizes that version.
const cdkDiffOut = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-diff-'));
const cdkDiffRun = safeRun.then((safe) => exec('npx', ['cdk', 'diff', '--exclusively', '--output', cdkDiffOut, '--context', 'storefrontMaxCapacity=12',
  // --exclusively: a fixed template compares one stack, without the stacks it depends on.
  '--template', path.join(safe.out, 'PlatformWeb.template.json'), 'PlatformWeb']));

// The same change as the budget's own stack shows it.
const cdkDiffDataOut = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-diff-data-'));
const cdkDiffDataRun = safeRun.then((safe) => exec('npx', ['cdk', 'diff', '--exclusively', '--output', cdkDiffDataOut, '--context', 'storefrontMaxCapacity=12',
  '--template', path.join(safe.out, 'PlatformData.template.json'), 'PlatformData']));
// The raised version, as the second cdk diff synthesized it: a synth of its own would take as long again.
const raisedRun: Promise<Synth> = cdkDiffDataRun.then((run) => ({ ...run, out: cdkDiffDataOut }));

afterAll(async () => {
  const all = [...await runs, await raisedRun];
  await Promise.all([cdkDiffRun, cdkDiffDataRun]);
  for (const dir of [...all.map((r) => r.out), cdkDiffOut, cdkDiffDataOut]) fs.rmSync(dir, { recursive: true, force: true });
});

/** The longest line `cdk diff` prints for what the budget writes: its Metadata lines and its records' trees. */
const REVIEW_LINE_MAX = 300;

/** The environment of every task definition's first container and every function, by logical ID without its hash. */
function environments(out: string): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const file of fs.readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(out, file), 'utf-8'));
    for (const [id, resource] of Object.entries<any>(template.Resources)) {
      const key = id.replace(/[0-9A-F]{8}$/, '');
      if (resource.Type === 'AWS::ECS::TaskDefinition') {
        const environment: Array<{ Name: string; Value: unknown }> = resource.Properties.ContainerDefinitions[0].Environment ?? [];
        result[key] = Object.fromEntries(environment.filter((e) => typeof e.Value === 'string').map((e) => [e.Name, e.Value as string]));
      } else if (resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment) {
        result[key] = resource.Properties.Environment.Variables;
      }
    }
  }
  return result;
}

describe('the real cdk synth on the example app', () => {
  test('the safe app synthesizes and every service carries its derived pool size', async () => {
    const [safe] = await runs;
    expect(safe.stderr).not.toMatch(/CB-[A-Z-]+/);
    expect(safe.code).toBe(0);
    const env = environments(safe.out);
    // Each consumer gets the variables its framework reads; the derived pools (Accounts, InventoryApi) fill the budget.
    // Its own database user too (its secret's ARN is a reference, so not a literal here).
    expect(env.StorefrontTaskDef).toEqual({
      RAILS_MAX_THREADS: '10', DB_CHECKOUT_TIMEOUT: '30', DB_IDLE_TIMEOUT: '600', DATABASE_USERNAME: 'cb_platformweb_storefront_service_00f31b9b',
    });
    expect(env.CheckoutTaskDef.PG_POOL_MAX).toBe('8');
    expect(env.AccountsTaskDef.SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE).toBe('6');
    expect(env.OrderWorkerQueueProcessingTaskDef).toMatchObject({ SQLALCHEMY_POOL_SIZE: '4', SQLALCHEMY_MAX_OVERFLOW: '2' });
    expect(env.InventoryApiTaskDef.PGX_POOL_PARAMS).toBe('pool_max_conns=19&pool_min_conns=1&pool_max_conn_lifetime=1800s&pool_max_conn_idle_time=600s');
    expect(env.InventorySyncScheduledTaskDef.DB_POOL_MAX).toBe('4');
    expect(env.OrderEvents.PG_POOL_MAX).toBe('1');
    const data = JSON.parse(fs.readFileSync(path.join(safe.out, 'PlatformData.template.json'), 'utf-8'));
    const resources = Object.values<any>(data.Resources);
    expect(resources.find((r) => r.Type === 'AWS::RDS::DBParameterGroup').Properties.Parameters.max_connections).toBe('904');
    // (904 − 5 engine reserve − 17 reserved directly) / 904 = 97.6 %: the proxy may use everything but the slots reserved beside it,
    // the orders team's allocation of 100 included.
    expect(resources.find((r) => r.Type === 'AWS::RDS::DBProxyTargetGroup').Properties.ConnectionPoolConfigurationInfo.MaxConnectionsPercent).toBe(97);
  });

  test('raising one service past the budget makes cdk synth exit non-zero with the message and the fix', async () => {
    const [, unsafe] = await runs;
    expect(unsafe.code).not.toBe(0);
    expect(unsafe.stderr).toContain(
      "[PlatformData/Database/Budget] ConnectionBudget 'PlatformData/Database/Budget': worst-case demand 980 (every derived pool at its minimum) "
      + "exceeds the proxy ceiling 771 by 209: max_connections 904 (parameter group 'PlatformData/Database/Parameters') × 97 % (derived by the budget) = 876, "
      + "less 100 reserved through the proxy for 'allocation:orders-team', less 5 kept by RDS Proxy.");
    expect(unsafe.stderr).toContain("'PlatformWeb/Storefront/Service' 600 = 30 tasks (autoscaling maximum) × 200 % rolling surge = 60 tasks × 1 process × 1 pool × pool 10");
    expect(unsafe.stderr).toContain("'PlatformBackend/OrderWorker/QueueProcessingFargateService' 96 = 8 tasks (autoscaling maximum) × 200 % rolling surge = 16 tasks × 1 process × 1 pool × (pool 4 + overflow 2)");
    // The max_connections fix accounts for the derived percent: 1108 − 20 held directly − 100 allocated = 988 usable, 98 % = 1085,
    // less the 100 allocated = 985, less 5 = 980.
    expect(unsafe.stderr).toContain("Lower the autoscaling maximum of 'PlatformWeb/Storefront/Service' from 30 to 19, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), from 200 to 130, lower its pool from 10 to 6, or raise max_connections from 904 to at least 1108 (the maxConnections of the BudgetedDatabase 'PlatformData/Database')");
    expect(unsafe.stderr).toContain('[CB-OVER-CAPACITY]');
    expect(fs.readdirSync(unsafe.out).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });
});

describe('connection-budget and cdk diff on two real synths of the example app', () => {
  let base: string;
  let head: string;
  let cdkDiff: Run;
  beforeAll(async () => {
    ensureCompiled();
    [base, head, cdkDiff] = await Promise.all([synthesized(safeRun), synthesized(raisedRun, 'cdk diff'), cdkDiffRun]);
  });

  test('diff shows the storefront\'s before → after, the shares that gave way, and the new headroom; exit 0', async () => {
    const result = await cli('diff', '--base', base, '--head', head);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // 12 tasks × 200 % × pool 10 = 240; the derived pools of Accounts and InventoryApi shrink to keep the ceiling.
    expect(result.stdout).toContain('~  PlatformWeb/Storefront/Service        +40  (200 → 240)');
    expect(result.stdout).toContain('10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks → 12 tasks (autoscaling maximum) × 200 % rolling surge = 24 tasks');
    expect(result.stdout).toContain('pool 6 → 5 (SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE)');
    expect(result.stdout).toContain('1 of 1 budget changed (3 consumers changed): worst case +4 (764 → 768), headroom 7 → 3.');
  });

  test('diff --fail-on-change exits 1 on the change and 0 against itself', async () => {
    expect((await cli('diff', '--base', base, '--head', head, '--fail-on-change')).code).toBe(1);
    const same = await cli('diff', '--base', base, '--head', base, '--fail-on-change');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('No connection budget changed (1 budget compared).');
  });

  test('diff --format markdown is a comment with the change table and a Mermaid chart', async () => {
    const result = await cli('diff', '--base', base, '--head', head, '--format', 'markdown');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<!-- connection-budget-diff -->\n## Connection budget change\n/);
    expect(result.stdout).toContain('| ~ | `PlatformWeb/Storefront/Service` | +40 (200 → 240) | 10 | 20 → 24 |');
    expect(result.stdout).toContain('```mermaid\npie showData\n');
  });

  test('check passes the example with default guardrails and fails it at --max-utilization 50', async () => {
    const fine = await cli('check', head);
    expect(fine.code).toBe(0);
    expect(fine.stdout).toContain('Passed: no budget errors.');
    const tight = await cli('check', head, '--max-utilization', '50');
    expect(tight.code).toBe(1);
    expect(tight.stdout).toContain('x CB-CHECK-MAX-UTILIZATION \'PlatformData/Database/Budget\': worst-case utilization 99.6 % (768 of 771) is above --max-utilization 50 %; the most that passes is a worst case of 385.');
  });

  test('report reads the assembly and json follows the envelope', async () => {
    const result = await cli('report', base, '--format', 'json');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.schema).toBe('cdk-connection-budget/report');
    expect(output.budgets.map((b: { budgetPath: string; consumers: unknown[] }) => [b.budgetPath, b.consumers.length])).toEqual([['PlatformData/Database/Budget', 8]]);
  });

  test('diff reads templates exported from deployed stacks as the base', async () => {
    const exported = fs.mkdtempSync(path.join(os.tmpdir(), 'deployed-'));
    for (const file of fs.readdirSync(base).filter((f) => f.endsWith('.template.json'))) {
      const body = JSON.parse(fs.readFileSync(path.join(base, file), 'utf8'));
      // The shape of `aws cloudformation get-template --stack-name X` output.
      fs.writeFileSync(path.join(exported, file.replace('.template', '')), JSON.stringify({ TemplateBody: body, StagesAvailable: ['Original', 'Processed'] }));
    }
    const result = await cli('diff', '--base', exported, '--head', head);
    fs.rmSync(exported, { recursive: true, force: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('+40  (200 → 240)');
  });

  test('cdk diff --template shows the change as budget Metadata lines beside the environment change', () => {
    const printed = `${cdkDiff.stdout}${cdkDiff.stderr}`;
    expect(printed).toContain('[~] Metadata ConnectionBudget:PlatformData/Database/Budget: worst case 764 of 771 (99.1 %), headroom 7; '
      + 'max_connections 904 (parameter group), proxy 97 % (derived) to worst case 768 of 771 (99.6 %), headroom 3; max_connections 904 (parameter group), proxy 97 % (derived)');
    expect(printed).toContain('[~] Metadata ConnectionBudget:PlatformData/Database/Budget:PlatformWeb/Storefront/Service: '
      + '200 = 20 tasks × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100 to '
      + '240 = 24 tasks × pool 10 (12 tasks (autoscaling maximum) × 200 % rolling surge); steady 120');
    expect(printed).toContain('[~] Metadata ConnectionBudget:PlatformData/Database/Budget:PlatformWeb/Accounts/Service: 72 = ');
    // The pool change of the Spring service, in its container environment.
    expect(printed).toContain('[-]     "Value": "6"\n        [+]     "Value": "5"');
    expect(cdkDiff.code).toBe(0);
  });

  test('cdk diff of the budget\'s own stack shows the summary and each changed consumer, every budget line short, and no ledger', async () => {
    const data = await cdkDiffDataRun;
    expect(data.code).toBe(0);
    const lines = `${data.stdout}${data.stderr}`.split('\n');
    const budget = lines.filter((line) => line.startsWith('[~] Metadata ConnectionBudget'));
    expect(budget.map((line) => line.slice(0, line.indexOf(': ')))).toEqual([
      '[~] Metadata ConnectionBudget:PlatformData/Database/Budget',
      '[~] Metadata ConnectionBudget:PlatformData/Database/Budget:PlatformWeb/Storefront/Service',
      '[~] Metadata ConnectionBudget:PlatformData/Database/Budget:PlatformWeb/Accounts/Service',
      '[~] Metadata ConnectionBudget:PlatformData/Database/Budget:PlatformBackend/InventoryApi/Service',
    ]);
    expect(budget[1]).toContain(': 200 = 20 tasks × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100 to 240 = ');
    for (const line of budget) expect(line.length).toBeLessThanOrEqual(REVIEW_LINE_MAX);
    // No whole ledger: the budget's record shows the figures it keeps, as a tree of short lines.
    expect(lines.filter((line) => line.includes('ConnectionBudgetLedger'))).toEqual([]);
    expect(lines).toContain('[~] AWS::CloudFormation::WaitConditionHandle Database/Budget/Record DatabaseBudgetRecord9AB58056');
    // Every other line is short too, the monitoring dashboard's body included (written in pieces): its changed table rows.
    expect(lines.filter((line) => line.length > REVIEW_LINE_MAX)).toEqual([]);
    expect(lines).toContain('            [-]   "PlatformWeb/Accounts/Service | ecs-service | 6 | 12 | 72\\\\n",');
    expect(lines).toContain('            [+]   "PlatformWeb/Accounts/Service | ecs-service | 5 | 12 | 60\\\\n",');
  });

  test('a repeated synth of the same app is byte-identical (each cdk diff synthesized the raised version)', () => {
    const templates = (dir: string) => new Map(fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort()
      .map((f) => [f.replace('.template.json', ''), fs.readFileSync(path.join(dir, f), 'utf8')]));
    const repeated = templates(cdkDiffOut);
    const original = templates(head);
    expect([...repeated.keys()]).toEqual(['PlatformBackend', 'PlatformCluster', 'PlatformData', 'PlatformJobs', 'PlatformWeb']);
    // cdk diff bundles assets only for the stacks it selects (PlatformWeb in one, PlatformData in the other), so the Lambda
    // assets of PlatformJobs' function and PlatformData's guards differ there (path and key): everything else must not.
    const withoutLambdaAssets = (text: string) => JSON.stringify(JSON.parse(text, (key, value) =>
      (key === 'Code' && value?.S3Key !== undefined) || key === 'aws:asset:path' || key === 'aws:asset:is-bundled' ? '<asset>' : value));
    for (const [stack, text] of repeated) {
      expect([stack, withoutLambdaAssets(text)]).toEqual([stack, withoutLambdaAssets(original.get(stack)!)]);
    }
  });

  test('the documentation pastes the real report, diff and cdk diff of this change', async () => {
    const readme = documentation();
    /** The `text` block that follows the `sh` block running `command`. */
    const pasted = (command: string) => {
      const at = readme.indexOf(command);
      expect(at).toBeGreaterThan(-1);
      const block = /```text\n([\s\S]*?)```/.exec(readme.slice(at));
      return block![1];
    };
    expect(pasted('npx connection-budget report cdk.base.out')).toBe((await cli('report', base)).stdout);
    expect(pasted('npx connection-budget diff --base cdk.base.out')).toBe((await cli('diff', '--base', base, '--head', head)).stdout);
    for (const line of pasted('npx cdk diff --exclusively -c storefrontMaxCapacity=12 --template cdk.base.out/PlatformWeb').split('\n').filter((l) => l.trim() !== '')) {
      expect(cdkDiff.stdout + cdkDiff.stderr).toContain(line);
    }
    const data = await cdkDiffDataRun;
    for (const line of pasted('npx cdk diff --exclusively -c storefrontMaxCapacity=12 --template cdk.base.out/PlatformData').split('\n').filter((l) => l.trim() !== '')) {
      expect(data.stdout + data.stderr).toContain(line);
    }
  });
});

/** The stand-in gh runs the script's filter with jq, as gh's own --jq would: installed by .ci/run, not by npm. */
const JQ_INSTALLED = (process.env.PATH ?? '').split(path.delimiter).some((dir) => isProgram(path.join(dir, 'jq')));
const testWithJq = JQ_INSTALLED ? test : test.skip;

describe('the GitHub Actions workflow\'s commands, run locally on two synthesized revisions', () => {
  const workflow = fs.readFileSync(path.join(ROOT, 'bin', 'example', 'github', 'connection-budget.yml'), 'utf8');
  const script = path.join(ROOT, 'bin', 'example', 'github', 'connection-budget-comment.sh');
  let base: string;
  let head: string;
  let unsafe: Synth;
  beforeAll(async () => {
    ensureCompiled();
    [base, head] = await Promise.all([synthesized(safeRun), synthesized(raisedRun, 'cdk diff')]);
    unsafe = (await runs)[1];
  });

  /** Runs the comment step with a stand-in `gh` that keeps the pull request's comments in a folder. */
  function commentStep(env: Record<string, string>, comments: string): { code: number; stdout: string; calls: string[] } {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-bin-'));
    fs.writeFileSync(path.join(bin, 'gh'), `#!/usr/bin/env bash
echo "$*" >> "${comments}/calls.log"
case "$*" in
  *"--paginate"*) args=("$@"); for ((i = 0; i < \${#args[@]}; i++)); do [ "\${args[$i]}" = --jq ] && filter="\${args[$((i + 1))]}"; done
    # The comments as GitHub lists them, author included (a file <id>.author; the workflow's identity otherwise), through the script's own filter.
    node -e 'const fs = require("fs"); const dir = process.argv[1]; console.log(JSON.stringify(fs.readdirSync(dir).filter((f) => /^[0-9]+$/.test(f)).sort()
      .map((f) => ({ id: Number(f), body: fs.readFileSync(dir + "/" + f, "utf8"), user: { login: fs.existsSync(dir + "/" + f + ".author") ? fs.readFileSync(dir + "/" + f + ".author", "utf8").trim() : "github-actions[bot]" } }))))' "${comments}" | jq -r "$filter" ;;
  *"--method POST"*) body="\${@: -1}"; cp "\${body#body=@}" "${comments}/$(( $(ls "${comments}" | grep -cE '^[0-9]+$') + 101 ))" ;;
  *"--method PATCH"*) id="\${4##*/}"; body="\${@: -1}"; cp "\${body#body=@}" "${comments}/$id" ;;
esac
`, { mode: 0o755 });
    const result = spawnSync('bash', [script, base, head], {
      cwd: ROOT,
      encoding: 'utf8',
      // This machine's bash reads ~/.bashrc even when not interactive; an empty home keeps its PATH changes out.
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: bin, REPOSITORY: 'example-org/platform', PR_NUMBER: '7', GUARDRAILS: '', ...env },
    });
    fs.rmSync(bin, { recursive: true, force: true });
    return { code: result.status ?? -1, stdout: result.stdout, calls: fs.readFileSync(path.join(comments, 'calls.log'), 'utf8').trim().split('\n') };
  }

  test('the workflow synthesizes both revisions with the commands the test uses, then runs the comment step', () => {
    expect(workflow).toContain('run: npm ci && npx cdk synth --quiet --output ../cdk.base.out');
    expect(workflow).toContain('npx cdk synth --quiet --output ../cdk.head.out 2> ../head-synth.log || status=$?');
    expect(workflow).toContain('run: bash bin/example/github/connection-budget-comment.sh ../cdk.base.out ../cdk.head.out');
  });

  testWithJq('posts one comment, updates it on the next run, and exits 0 within the guardrails (needs jq)', () => {
    const comments = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-comments-'));
    const first = commentStep({ GUARDRAILS: '--max-increase-percent 25' }, comments);
    expect(first.code).toBe(0);
    const posted = fs.readFileSync(path.join(comments, '101'), 'utf8');
    expect(posted).toBe(first.stdout);
    expect(posted).toContain('| ~ | `PlatformWeb/Storefront/Service` | +40 (200 → 240) | 10 | 20 → 24 |');
    expect(posted).toContain('✅ Passed: no budget errors, increase at most 25 %.');
    const second = commentStep({ GUARDRAILS: '--max-increase 1' }, comments);
    expect(second.code).toBe(1);
    expect(second.calls.filter((c) => c.includes('--method')).map((c) => c.split(' -F ')[0])).toEqual([
      'api --method POST repos/example-org/platform/issues/7/comments',
      'api --method PATCH repos/example-org/platform/issues/comments/101',
    ]);
    expect(fs.readdirSync(comments).filter((f) => /^\d+$/.test(f))).toEqual(['101']);
    expect(fs.readFileSync(path.join(comments, '101'), 'utf8')).toContain('- **CB-CHECK-MAX-INCREASE** `PlatformData/Database/Budget`: worst case rises by 4 (764 → 768), more than --max-increase 1.');
    fs.rmSync(comments, { recursive: true, force: true });
  });

  testWithJq('never edits a comment another identity wrote, even one that starts with the marker (needs jq)', () => {
    const comments = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-comments-'));
    fs.writeFileSync(path.join(comments, '101'), '<!-- connection-budget-diff -->\nLooks fine to me, approve it.\n');
    fs.writeFileSync(path.join(comments, '101.author'), 'mallory\n');
    const result = commentStep({ GUARDRAILS: '--max-increase-percent 25' }, comments);
    expect(result.code).toBe(0);
    expect(result.calls.filter((c) => c.includes('--method'))).toEqual([expect.stringContaining('--method POST')]);
    expect(fs.readFileSync(path.join(comments, '101'), 'utf8')).toBe('<!-- connection-budget-diff -->\nLooks fine to me, approve it.\n');
    fs.rmSync(comments, { recursive: true, force: true });
  });

  testWithJq('a head that does not synthesize gets the budget error in the comment, and the check fails (needs jq)', () => {
    const comments = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-comments-'));
    const log = path.join(comments, 'head-synth.log');
    fs.writeFileSync(log, unsafe.stderr);
    const result = commentStep({ HEAD_SYNTH_STATUS: String(unsafe.code), HEAD_SYNTH_LOG: log }, comments);
    expect(result.code).toBe(1);
    const posted = fs.readFileSync(path.join(comments, '101'), 'utf8');
    expect(posted).toMatch(/^<!-- connection-budget-diff -->\n## Connection budget change\n\n\*\*❌ `cdk synth` of this pull request fails:\*\*\n\n```text\n/);
    expect(posted).toContain('worst-case demand 980 (every derived pool at its minimum) exceeds the proxy ceiling 771 by 209');
    expect(posted).toContain('[CB-OVER-CAPACITY]');
    fs.rmSync(comments, { recursive: true, force: true });
  });

  testWithJq('the documentation pastes the comment of this change (needs jq)', () => {
    const readme = documentation();
    const comments = fs.mkdtempSync(path.join(os.tmpdir(), 'pr-comments-'));
    const result = commentStep({ GUARDRAILS: '--max-increase-percent 25' }, comments);
    fs.rmSync(comments, { recursive: true, force: true });
    const at = readme.indexOf('<summary>The comment the workflow posts for this change</summary>');
    expect(at).toBeGreaterThan(-1);
    expect(/````markdown\n([\s\S]*?)````/.exec(readme.slice(at))![1]).toBe(result.stdout);
  });
});

