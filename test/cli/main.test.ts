import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import { NestedStack, aws_ec2 as ec2, aws_rds as rds } from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget } from '../../lib';
import { LedgerJson } from '../../lib/budget';
import { main } from '../../lib/cli/main';
import { USAGE } from '../../lib/cli/usage';
import { synthSample } from './apps';
import { directoryWith, run, runAsync, sampleLedger, templateWith } from './fixtures';

// Real apps, synthesized: base Api up to 10 tasks → 20 × 10 = 200, Worker 4 × 7 = 28; head up to 12 → 240;
// over up to 30 → 600 of a ceiling of 495 (synthesized past its own checks, as a failing synth leaves it).
const base = synthSample({ apiMaxTasks: 10 });
const head = synthSample({ apiMaxTasks: 12 });
const over = synthSample({ apiMaxTasks: 30, allowErrors: true });
const created: string[] = [base, head, over];
/** A directory the test removes afterwards. */
const scratch = (dir: string) => {
  created.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

describe('exit codes', () => {
  test.each<[string, string[], number]>([
    ['report within budget', ['report', head], 0],
    ['report of a violated budget', ['report', over], 1],
    ['diff that changed', ['diff', '--base', base, '--head', head], 0],
    ['diff that changed, with --fail-on-change', ['diff', '--base', base, '--head', head, '--fail-on-change'], 1],
    ['diff without change, with --fail-on-change', ['diff', '--base', base, '--head', base, '--fail-on-change'], 0],
    ['diff to a violated head', ['diff', '--base', base, '--head', over], 1],
    ['check with default guardrails', ['check', head], 0],
    ['check over --max-utilization', ['check', head, '--max-utilization', '50'], 1],
    ['check within --max-utilization', ['check', head, '--max-utilization', '60'], 0],
    ['check over --max-increase', ['check', head, '--base', base, '--max-increase', '39'], 1],
    ['check within --max-increase', ['check', head, '--base', base, '--max-increase', '40'], 0],
    ['check of a violated budget', ['check', over], 1],
    ['help', ['--help'], 0],
    ['no command', [], 2],
  ])('%s: %j exits %i', (_name, argv, code) => {
    expect(run(argv).code).toBe(code);
  });
});

describe('usage errors say what is wrong, exit 2 and print no stack trace', () => {
  test.each<[string[], string]>([
    [[], 'a command is required: report, diff, check or rehearse.'],
    [['frob'], 'unknown command \'frob\'; commands are report, diff, check and rehearse.'],
    [['report', '--bogus'], 'unknown option \'--bogus\'.'],
    [['check', '--max-utilisation', '50'], 'unknown option \'--max-utilisation\'; did you mean --max-utilization?'],
    [['diff', '--base=cdk.out', '--fail-on-chnage'], 'unknown option \'--fail-on-chnage\'; did you mean --fail-on-change?'],
    [['report', '-', '--bogus'], 'unknown option \'--bogus\'.'],
    [['report', '--max'], 'unknown option \'--max\'.'],
    [['report', '--max-utilisation', '50'], 'unknown option \'--max-utilisation\'; --max-utilization is an option of check only.'],
    [['report', '--bse', 'x'], 'unknown option \'--bse\'; --base is an option of diff and check only.'],
    [['--formt', 'json'], 'unknown option \'--formt\'; did you mean --format?'],
    [['check', '--base', '--fail-on-chnage'], 'Option \'--base\' argument is ambiguous. Did you forget to specify the option argument for \'--base\'? '
      + 'To specify an option argument starting with a dash use \'--base=-XYZ\'.'],
    [['report', '--format', 'yaml'], '--format must be one of text, markdown, json, got \'yaml\'.'],
    [['report', '--max-utilization', '50'], '--max-utilization cannot be used with report.'],
    [['diff'], 'diff needs --base: the assembly or templates to compare against.'],
    [['diff', 'a', 'b'], 'diff takes no positional arguments (got \'a b\'); pass --base and --head.'],
    [['rehearse', 'a', 'b'], 'rehearse takes at most one assembly (got \'a b\').'],
    [['check', '--max-increase', '5'], '--max-increase needs --base: the assembly or templates to compare with.'],
    [['check', '--fail-on-change', '--max-increase-percent', '5'], '--max-increase-percent, --fail-on-change need --base: the assembly or templates to compare with.'],
    [['check', '--max-utilization', 'lots'], '--max-utilization must be a number of at least 0, got \'lots\'.'],
    [['check', '--min-headroom', '2.5'], '--min-headroom must be a whole number of at least 0, got \'2.5\'.'],
  ])('%j', (argv, message) => {
    const result = run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`connection-budget: ${message}`);
    expect(result.stderr).toContain('Run connection-budget --help for usage.');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('--help prints the usage with the exit codes', () => {
    const result = run(['--help']);
    expect(result.stdout).toBe(USAGE);
    expect(USAGE).toContain('0  within budget');
    expect(USAGE).toContain('3  internal error');
  });

  test('--version prints the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(run(['--version']).stdout).toBe(`${pkg.version}\n`);
  });
});

describe('rehearse refuses bad options before starting anything', () => {
  test.each<[string[], string]>([
    [['--wait', '0'], '--wait must be at least 1 second, got \'0\'.'],
    [['--pools-from', 'size:0'], '--pools-from size:N needs N of at least 1, got \'size:0\'.'],
    [['--budget', 'Nope/Budget'], '--budget \'Nope/Budget\' is not in the assembly; its budgets are \'Data/Budget\'.'],
    [['--max-utilization', '5'], '--max-utilization cannot be used with rehearse.'],
  ])('%j', async (flags, message) => {
    const result = await runAsync(['rehearse', head, ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`connection-budget: ${message}`);
  });

  test('a budget of another engine cannot be rehearsed', async () => {
    const mysql = scratch(synthSample({ engine: rds.DatabaseInstanceEngine.mysql({ version: rds.MysqlEngineVersion.VER_8_0 }) }));
    const result = await runAsync(['rehearse', mysql]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'connection-budget: budget \'Data/Budget\' is for rds-mysql; rehearsals run on PostgreSQL only.\n' });
  });

  test('an assembly with several budgets needs --budget', async () => {
    const two = scratch(synthSample({
      allowErrors: true,
      change: ({ data, budget }) => new ConnectionBudget(data, 'Other', { database: budget._target().instance ? DatabaseTarget.fromInstance(budget._target().instance!) : DatabaseTarget.fromCluster(budget._target().cluster!) }),
    }));
    const result = await runAsync(['rehearse', two]);
    expect(result.stderr).toBe('connection-budget: the assembly has 2 budgets; choose one with --budget (\'Data/Budget\', \'Data/Other\').\nRun connection-budget --help for usage.\n');
  });
});

describe('bad input gets a clear message and exit 2', () => {
  const cases: Array<[string, () => string, RegExp]> = [
    ['a missing directory', () => '/nonexistent/cdk.out',
      /^connection-budget: '\/nonexistent\/cdk\.out' does not exist\. Pass a cloud assembly directory \(cdk\.out, written by cdk synth\), a directory of templates, or a template file\.\n$/],
    ['a directory that is neither an assembly nor templates', () => directoryWith({ 'notes.txt': 'hello' }),
      /is neither a cloud assembly \(it has no manifest\.json\) nor a directory of templates \(it has no \.json files\)\. Run cdk synth first, or pass the directory it wrote \(--output\)\.\n$/],
    ['a template that is not JSON', () => directoryWith({ 'Data.template.json': '{ "Resources": ' }),
      /Data\.template\.json' is not valid JSON \(.+\); templates must be JSON, as cdk synth writes them\.\n$/],
    ['a ledger of another schema version', () => directoryWith({ 'Data.json': templateWith({ ...sampleLedger(), schemaVersion: 99 }) }),
      /the ledger 'Data\/Budget' in '.+Data\.json' has ledger schema version 99, but this connection-budget reads versions 1, 2, 3, and 4\. Run the connection-budget CLI of the library version that synthesized it\.\n$/],
    ['a schema version written as a string', () => directoryWith({ 'Data.json': templateWith({ ...sampleLedger(), schemaVersion: '1' as never }) }),
      /the ledger 'Data\/Budget' in '.+Data\.json' has schemaVersion "1", a string; a ledger's schemaVersion is a number, 1, 2, 3, or 4\.\n$/],
    ['a damaged ledger', () => directoryWith({ 'Data.json': templateWith({ ...sampleLedger(), consumers: 'none' } as never) }),
      /the ledger 'Data\/Budget' in '.+Data\.json' is not a valid version 4 ledger: consumers must be an array\.\n$/],
    ['a consumer without processes', () => {
      const ledger = sampleLedger();
      return directoryWith({ 'Data.json': templateWith({ ...ledger, consumers: [{ ...ledger.consumers[0], connections: { poolsPerProcess: 1, overflowPerPool: 0 } } as never] }) });
    }, /is not a valid version 4 ledger: consumers\[0\]\.connections\.processes must be a whole number from 1 to 1000000, got undefined\.\n$/],
    ['an engine the library does not know', () => {
      const ledger = sampleLedger();
      return directoryWith({ 'Data.json': templateWith({ ...ledger, capacity: { ...ledger.capacity!, engine: 'oracle' as never } }) });
    }, /is not a valid version 4 ledger: capacity\.engine must be one of rds-postgresql, rds-mysql, rds-mariadb, aurora-postgresql, aurora-mysql, got "oracle"\.\n$/],
    ['a custom preset without its variable names', () => {
      const ledger = sampleLedger();
      const consumer = { ...ledger.consumers[0], inputs: { ...ledger.consumers[0].inputs!, preset: { framework: 'custom', variables: null } } };
      return directoryWith({ 'Data.json': templateWith({ ...ledger, consumers: [consumer as never] }) });
    }, /is not a valid version 4 ledger: consumers\[0\]\.inputs\.preset\.variables must be an object\.\n$/],
    ['a claim no engine accepts', () => {
      const ledger = sampleLedger();
      return directoryWith({ 'Data.json': templateWith({ ...ledger, inputs: { ...ledger.inputs!, maxConnections: 1e15 } }) });
    }, /is not a valid version 4 ledger: inputs\.maxConnections must be a whole number from 1 to 262143, got 1000000000000000\.\n$/],
    ['templates without any ledger', () => directoryWith({ 'Other.json': { Resources: {} } }),
      /^connection-budget: no connection budget ledger in the 1 template of template directory '.+'\. Synthesize an app that uses ConnectionBudget or BudgetedDatabase \(cdk synth\), and pass the directory it wrote\.\n$/],
    ['the same budget twice', () => directoryWith({ 'A.json': templateWith(sampleLedger()), 'B.json': templateWith(sampleLedger()) }),
      /budget 'Data\/Budget' has a ledger in both '.+A\.json' and '.+B\.json'; pass one app's templates at a time\.\n$/],
    ['a manifest without artifacts', () => directoryWith({ 'manifest.json': { version: '55.0.0' } }),
      /manifest\.json' is not a cloud assembly manifest \(no artifacts\)\.\n$/],
  ];
  test.each(cases)('%s', (_name, input, message) => {
    const dir = input();
    const result = run(['report', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('a name read from the files is written out, on the one line of the message', () => {
    // An OSC sequence would retitle the terminal, and the newline forge a line of the CLI's own.
    const ledger: LedgerJson = { ...sampleLedger(), budgetPath: 'Data/\u001b]0;pwned\u0007Budget\nconnection-budget: all good' };
    const result = run(['report', directoryWith({ 'A.json': templateWith(ledger), 'B.json': templateWith(ledger) })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^connection-budget: budget 'Data\/\\x1b\]0;pwned\\x07Budget\\nconnection-budget: all good' has a ledger in both '.+A\.json' and '.+B\.json'; /);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  test('an internal error exits 3 with a message, and the stack trace only on request', () => {
    // Nothing a user passes breaks the CLI; an output that fails to write stands in for a bug.
    const failing = (env: Record<string, string>) => {
      let stderr = '';
      const code = main(['report', head], { stdout: () => { throw new Error('EPIPE: the reader went away'); }, stderr: (t) => { stderr += t; }, env, isTTY: false });
      return { code, stderr };
    };
    const plain = failing({});
    expect(plain).toEqual({
      code: 3,
      stderr: 'connection-budget: internal error: EPIPE: the reader went away\nThis is a bug; please report it with the command you ran. Set CONNECTION_BUDGET_DEBUG=1 for the stack trace.\n',
    });
    expect(failing({ CONNECTION_BUDGET_DEBUG: '1' }).stderr).toMatch(/\n\s+at /);
  });
});

describe('inputs', () => {
  test('reads a directory of templates exported from deployed stacks, TemplateBody wrapper included', () => {
    const template = (stack: string) => JSON.parse(fs.readFileSync(path.join(base, `${stack}.template.json`), 'utf8'));
    const exported = scratch(directoryWith({
      'Data.json': { TemplateBody: template('Data'), StagesAvailable: ['Original', 'Processed'] },
      'Web.json': { TemplateBody: JSON.stringify(template('Web')) },
      'Jobs.json': template('Jobs'),
      'notes.json': { not: 'a template' },
    }));
    const result = run(['diff', '--base', exported, '--head', head]);
    expect(result.stdout).toContain('~  Web/Api  +40  (200 → 240)');
    expect(result.code).toBe(0);
  });

  test('a diff that exits 1 on an error open on both sides says which, though nothing changed', () => {
    // GIVEN a head with a rule from 10.0.0.0/8 to the proxy, compared with itself
    const open = scratch(fs.mkdtempSync(path.join(os.tmpdir(), 'open-')));
    fs.cpSync(head, open, { recursive: true });
    const file = path.join(open, 'Data.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    const proxyGroup = Object.keys(template.Resources).find((id) => id.startsWith('DbProxyProxySecurityGroup'))!;
    template.Resources.WideIngress = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { GroupId: { 'Fn::GetAtt': [proxyGroup, 'GroupId'] }, CidrIp: '10.0.0.0/8', IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 },
    };
    fs.writeFileSync(file, JSON.stringify(template));
    // WHEN diffed against itself THEN no change, exit 1, and the error named on standard error
    const result = run(['diff', '--base', open, '--head', open]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('No connection budget changed');
    expect(result.stderr).toBe("connection-budget: note: the head has an error (CB-UNBUDGETED-INGRESS of logical ID 'WideIngress' in stack 'Data'), so diff exits 1; "
      + 'connection-budget report on the head shows it in full.\n');
  });

  test('exported templates named otherwise than their stacks are refused, naming the file, the stack its record says and the name to give it', () => {
    // GIVEN templates exported as prod-<stack>.json: each would read as a stack of that name, and nothing would be where its budget says
    const template = (stack: string) => JSON.parse(fs.readFileSync(path.join(base, `${stack}.template.json`), 'utf8'));
    const misnamed = (names: Record<string, string>) => scratch(directoryWith(Object.fromEntries(['Data', 'Web', 'Jobs'].map((stack) => [names[stack] ?? `${stack}.json`, template(stack)]))));
    const readAs = (file: string, stack: string) => "but no template read is that stack's: a template read from a directory or a file is the stack its file is "
      + `named after, so this one is read as stack '${file}'\\. Name each exported template after its stack \\('${stack}\\.json'\\)\\.\n$`;
    const budgetRefusal = new RegExp("^connection-budget: '.+prod-data\\.json' holds the record of budget 'Data/Budget' and 'Db[0-9A-F]{8}', which the record "
      + `places in stack 'Data', ${readAs('prod-data', 'Data')}`);
    const consumerRefusal = new RegExp("^connection-budget: '.+prod-jobs\\.json' holds the record of the consumer 'Jobs/Worker' of budget 'Data/Budget', whose "
      + `stack is 'Jobs', ${readAs('prod-jobs', 'Jobs')}`);
    // WHEN each is the base of a diff THEN the diff does not run on a wrong base: the file, its stack and the name to give it are named
    for (const [names, expected] of [
      [{ Data: 'prod-data.json', Web: 'prod-web.json', Jobs: 'prod-jobs.json' }, budgetRefusal],
      [{ Data: 'prod-data.json' }, budgetRefusal],
      [{ Jobs: 'prod-jobs.json' }, consumerRefusal],
    ] as const) {
      const result = run(['diff', '--base', misnamed(names), '--head', head]);
      expect(result).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(expected) });
    }
    // AND a well-named template is not refused for a resource of the same logical ID as the database its budget keeps in a stack not given
    const elsewhere = scratch(directoryWith({ 'Data.json': (() => {
      const data = template('Data');
      const record = Object.values<any>(data.Resources).find((r) => r.Type === 'AWS::CloudFormation::WaitConditionHandle').Metadata.ConnectionBudget;
      record.inputs.database.resource = { ...record.inputs.database.resource, stack: 'Db', stackName: 'Db' };
      return data;
    })(), 'Web.json': template('Web'), 'Jobs.json': template('Jobs') }));
    const missing = run(['check', elsewhere]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("CB-TEMPLATES-MISSING: ConnectionBudget 'Data/Budget': the database 'Data/Db' is in stack 'Db', whose template is not among the templates read");
  });

  test('a base whose budget names consumers without their records (a rollout in progress, a stack left out) says which, and why', () => {
    // GIVEN the deployed templates of the budget's stack, of Web as an earlier version without records, and no Jobs
    const template = (stack: string) => JSON.parse(fs.readFileSync(path.join(base, `${stack}.template.json`), 'utf8'));
    const web = template('Web');
    for (const resource of Object.values<{ Metadata?: Record<string, unknown> }>(web.Resources)) delete resource.Metadata?.ConnectionBudget;
    const halfDeployed = scratch(directoryWith({ 'Data.json': { TemplateBody: template('Data') }, 'Web.json': { TemplateBody: web } }));
    // WHEN diffed THEN the consumers show as added, and the notes say why
    const result = run(['diff', '--base', halfDeployed, '--head', head]);
    expect(result.stdout).toContain('+  Web/Api');
    expect(result.stderr).toBe(`connection-budget: note: in the base, budget 'Data/Budget' names a consumer ('Web/Api') without a record in the template of 'Web' among the 2 templates of template directory '${halfDeployed}'; `
      + "the base counts it as absent, so a change shows it as added, and the derived pools of the others there are shared out without it. That template is an "
      + "earlier version (a rollout in progress deploys the budget's stack before its consumers'), or was edited.\n"
      + `connection-budget: note: in the base, budget 'Data/Budget' names a consumer ('Jobs/Worker') in 'Jobs', not among the 2 templates of template directory '${halfDeployed}'; `
      + "the base counts it as absent, so a change shows it as added, and the derived pools of the others there are shared out without it. Pass every stack's "
      + "template of the base.\n");
    expect(run(['check', head, '--base', halfDeployed, '--max-increase', '1000']).stderr).toBe(result.stderr);
    // Neither for the head (whose errors alone are noted, as they fail the diff), nor for a whole base
    expect(run(['diff', '--base', head, '--head', halfDeployed]).stderr).toMatch(/^connection-budget: note: the head has 4 errors \(CB-TEMPLATES-MISSING of Data\/Budget, [^\n]+ and 1 more\), so diff exits 1; connection-budget report on the head shows them in full\.\n$/);
    expect(run(['diff', '--base', base, '--head', head]).stderr).toBe('');
  });

  test('a base whose consumers\' stack is not deployed yet (an empty template) says so, and its resolved differences take one line', () => {
    // GIVEN the deployed budget's stack, and Web and Jobs as a pipeline writes stacks it cannot find
    const data = JSON.parse(fs.readFileSync(path.join(base, 'Data.template.json'), 'utf8'));
    const firstDeploy = scratch(directoryWith({ 'Data.json': data, 'Web.json': { Resources: {} }, 'Jobs.json': { Resources: {} } }));
    // WHEN diffed THEN the consumers are added, the note names the empty stacks and why they are, not an edit
    const result = run(['diff', '--base', firstDeploy, '--head', head]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`connection-budget: note: in the base, budget 'Data/Budget' names 2 consumers ('Jobs/Worker', 'Web/Api') in 'Jobs', 'Web', empty among the 3 templates `
      + `of template directory '${firstDeploy}' (no resource); the base counts them as absent, so a change shows them as added, and the derived pools of the others there are `
      + 'shared out without them. Such a stack is not deployed yet (an exported base writes one as {"Resources":{}}): once it is, the base holds its consumers\' records.\n');
    // AND the base's differences (each consumer's place, the totals), all about the budget, are one line
    expect(result.stdout).toContain('\n    resolved error CB-LEDGER-DIFFERS of Data/Budget (3 of them)\n');
    expect(result.stdout.match(/resolved error/g)).toHaveLength(1);
  });

  test('templates of consumers without their budget\'s stack are a part of an app: refused as a head, noted as a base, and never let an increase through', () => {
    // GIVEN the templates of the consumers' stacks only: their records name budget 'Data/Budget', whose own record is in Data
    const template = (dir: string, stack: string) => JSON.parse(fs.readFileSync(path.join(dir, `${stack}.template.json`), 'utf8'));
    const consumersOnly = scratch(directoryWith({ 'Web.json': template(base, 'Web'), 'Jobs.json': template(base, 'Jobs') }));
    const orphans = "'Jobs/Worker', 'Web/Api' in stacks 'Jobs', 'Web'";
    // WHEN it is what is judged THEN exit 2, naming the budget, its consumers and the fix
    const webOnly = path.join(head, 'Web.template.json');
    expect(run(['report', webOnly])).toEqual({ code: 2, stdout: '', stderr: `connection-budget: the template '${webOnly}' holds records of consumers of budget 'Data/Budget' `
      + "('Web/Api' in stack 'Web') but not the budget's own record: it is a part of an app. Pass the whole cloud assembly (cdk.out) or every template of the app, "
      + "the budget's stack included.\n" });
    expect(run(['diff', '--base', base, '--head', consumersOnly]).stderr).toBe(`connection-budget: the 2 templates of template directory '${consumersOnly}' hold records `
      + `of consumers of budget 'Data/Budget' (${orphans}) but not the budget's own record: it is a part of an app. `
      + "Pass the whole cloud assembly (cdk.out) or every template of the app, the budget's stack included.\n");
    // WHEN it is the base THEN the budget shows as added, and a note says why
    const note = `connection-budget: note: the base holds records of consumers of budget 'Data/Budget' (${orphans}) without the budget's own record, which is not among `
      + `the 2 templates of template directory '${consumersOnly}'; the base counts the budget as absent, so a change shows it as added. Pass every stack's template of the base.\n`;
    const diff = run(['diff', '--base', consumersOnly, '--head', head]);
    expect(diff.stderr).toBe(note);
    expect(diff.stdout).toContain('added');
    expect(run(['check', head, '--base', consumersOnly])).toMatchObject({ code: 0, stderr: note });
    // AND an increase guardrail, which a new budget would pass, cannot be judged: exit 2 instead of a pass
    for (const guardrail of ['--max-increase', '--max-increase-percent']) {
      expect(run(['check', head, '--base', consumersOnly, guardrail, '10'])).toEqual({ code: 2, stdout: '', stderr: `connection-budget: ${guardrail} compares each budget's `
        + `worst case with the base's, but the 2 templates of template directory '${consumersOnly}' hold records of consumers of budget 'Data/Budget' (${orphans}) `
        + "without the budget's own record, so its worst case there is unknown. Pass every stack's template of the base, the budget's stack included.\n" });
    }
    // Against the whole base, the same check judges the increase
    expect(run(['check', head, '--base', base, '--max-increase', '10']).code).toBe(1);
  });

  test('one app\'s templates split over several --base are refused, naming where each part is', () => {
    const template = (stack: string) => JSON.parse(fs.readFileSync(path.join(base, `${stack}.template.json`), 'utf8'));
    const data = scratch(directoryWith({ 'Data.json': template('Data') }));
    const consumers = scratch(directoryWith({ 'Web.json': template('Web'), 'Jobs.json': template('Jobs') }));
    expect(run(['check', head, '--base', data, '--base', consumers, '--max-increase', '10'])).toEqual({ code: 2, stdout: '', stderr: 'connection-budget: '
      + `budget 'Data/Budget' has its record in the 1 template of template directory '${data}' and records of its consumers ('Jobs/Worker', 'Web/Api' in stacks `
      + `'Jobs', 'Web') in the 2 templates of template directory '${consumers}': each --base is read as an app of its own. Pass all the templates of an app as `
      + 'one --base (one directory).\n' });
  });

  test('an increase guardrail says which budgets it does not judge because the base lacks them', () => {
    const unrelated = scratch(directoryWith({ 'Other.json': { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } }));
    const result = run(['check', head, '--base', unrelated, '--max-increase', '10']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`connection-budget: note: budget 'Data/Budget' is not in the base (the 1 template of template directory '${unrelated}'), so `
      + '--max-increase does not judge it: a new budget is judged by utilization and headroom. If it is not new, pass every stack\'s template of the base.\n');
    expect(run(['check', head, '--base', base, '--max-increase', '1000']).stderr).toBe('');
  });

  test('diff without --head, where there is no cdk.out, says that --head defaults to it', () => {
    const empty = scratch(fs.mkdtempSync(path.join(os.tmpdir(), 'no-cdk-out-')));
    const cwd = process.cwd();
    process.chdir(empty);
    try {
      expect(run(['diff', '--base', base])).toEqual({ code: 2, stdout: '', stderr: 'connection-budget: diff compares --base with --head, which is cdk.out unless '
        + "given, and there is no 'cdk.out' here: run cdk synth first, or pass --head.\n" });
    } finally {
      process.chdir(cwd);
    }
  });

  test('one template alone cannot be checked against the stacks it does not hold, and says so', () => {
    const result = run(['report', path.join(head, 'Data.template.json')]);
    expect(result.stdout).toContain("error CB-TEMPLATES-MISSING: ConnectionBudget 'Data/Budget': the consumer 'Web/Api' is in stack 'Web', whose template is not among the templates read, "
      + 'so it cannot be checked. Pass the whole cloud assembly (cdk.out) or every template of the app, not a part of it; a template exported from a '
      + 'deployed stack is read as the stack its file is named after (<stack name>.json).');
    expect(result.code).toBe(1);
  });

  test('reads nested assemblies (CDK Stages)', () => {
    const nested = scratch(synthSample({ stage: 'Prod' }));
    const result = run(['report', nested]);
    expect(result.stdout).toContain('Connection budget Prod/Data/Budget');
    expect(result.code).toBe(0);
  });

  test('reads the nested stacks of an assembly, so a rule hidden in one is seen', () => {
    const hidden = scratch(synthSample({
      allowErrors: true,
      change: ({ web, budget }) => new ec2.CfnSecurityGroupIngress(new NestedStack(web, 'Hidden'), 'Hole', {
        groupId: budget._target().proxy!.connections.securityGroups[0].securityGroupId, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIp: '10.0.0.0/8',
      }),
    }));
    const result = run(['check', hidden]);
    expect(result.stdout).toContain("CB-UNBUDGETED-INGRESS: ConnectionBudget 'Data/Budget': the security group rule 'Web/Hidden/Hole' lets 10.0.0.0/8 connect to 'Data/Db/Proxy' on port 5432");
    expect(result.code).toBe(1);
  });

  test('a budget that appears only in the head is an added budget', () => {
    const empty = scratch(directoryWith({ 'Data.json': { Resources: {} } }));
    const result = run(['diff', '--base', empty, '--head', head]);
    expect(result.stdout).toContain('+ Connection budget Data/Budget');
    expect(result.code).toBe(0);
  });
});

describe('hostile files are refused, never read without bound, and never hang', () => {
  const copy = (from: string) => {
    const dir = scratch(fs.mkdtempSync(path.join(path.dirname(from), 'copy-')));
    fs.cpSync(from, dir, { recursive: true });
    return dir;
  };

  test('a template that is a link to /dev/zero, or a FIFO, is not a regular file', () => {
    const linked = copy(head);
    fs.rmSync(path.join(linked, 'Web.template.json'));
    fs.symlinkSync('/dev/zero', path.join(linked, 'Web.template.json'));
    // In an assembly the link leads outside it; among exported templates it is no file.
    expect(run(['report', linked]).stderr).toMatch(/manifest\.json' names 'Web\.template\.json', which is outside the cloud assembly '.+'; only files inside it are read\.\n$/);
    const exported = scratch(directoryWith({ 'Data.json': JSON.parse(fs.readFileSync(path.join(head, 'Data.template.json'), 'utf8')) }));
    fs.symlinkSync('/dev/zero', path.join(exported, 'Web.json'));
    expect(run(['report', exported]).stderr).toMatch(/^connection-budget: '.+Web\.json' is not a regular file \(a device, a pipe or a socket\); templates and manifests must be files\.\n$/);
    const fifo = copy(head);
    fs.rmSync(path.join(fifo, 'Web.template.json'));
    childProcess.execFileSync('mkfifo', [path.join(fifo, 'Web.template.json')]);
    const result = run(['report', fifo]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Web\.template\.json' is not a regular file/);
  });

  test('a manifest may not name a file outside its assembly, nor nest itself', () => {
    const outside = copy(head);
    const manifest = JSON.parse(fs.readFileSync(path.join(outside, 'manifest.json'), 'utf8'));
    manifest.artifacts.Web.properties.templateFile = '../x.json';
    fs.writeFileSync(path.join(outside, 'manifest.json'), JSON.stringify(manifest));
    fs.writeFileSync(path.join(path.dirname(outside), 'x.json'), '{"Resources":{}}');
    expect(run(['report', outside]).stderr).toMatch(/manifest\.json' names '\.\.\/x\.json', which is outside the cloud assembly '.+'; only files inside it are read\.\n$/);
    fs.rmSync(path.join(path.dirname(outside), 'x.json'));
    const looped = copy(head);
    const loopManifest = JSON.parse(fs.readFileSync(path.join(looped, 'manifest.json'), 'utf8'));
    loopManifest.artifacts.Self = { type: 'cdk:cloud-assembly', properties: { directoryName: '.' } };
    fs.writeFileSync(path.join(looped, 'manifest.json'), JSON.stringify(loopManifest));
    const result = run(['report', looped]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^connection-budget: the cloud assembly '.+' nests '.+' inside itself; its manifests form a loop\.\n$/);
  });

  test('a template nesting values deeper than the readers follow is named, with its depth: not an internal error', () => {
    // GIVEN a function with a variable whose value is a reference inside 20,000 nested lists (JSON.parse takes it; a recursive reader does not)
    const deep = copy(head);
    const file = path.join(deep, 'Web.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    template.Resources.Deep = { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { DEEP: '__DEEP__' } } } };
    const depth = 20_000;
    fs.writeFileSync(file, JSON.stringify(template).replace('"__DEEP__"', `${'['.repeat(depth)}{"Ref":"AWS::Region"}${']'.repeat(depth)}`));
    // WHEN it is read THEN the file and how deep it nests are named (the template, Resources, Deep, Properties, Environment, Variables,
    // the lists and the reference), exit 2
    const result = run(['report', deep]);
    expect(result).toEqual({
      code: 2, stdout: '', stderr: `connection-budget: '${file}' nests values ${depth + 7} levels deep, more than the template readers can follow (they ran out `
        + 'of stack); no template CDK synthesizes comes near that: check what wrote this one.\n',
    });
  });

  /** Edits the first consumer record of `dir`'s Web template, and returns the template's file and the record's place. */
  const editRecord = (dir: string, edit: (consumer: Record<string, unknown>) => void) => {
    const file = path.join(dir, 'Web.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    const [logicalId, resource] = Object.entries<{ Metadata?: { ConnectionBudget?: { budgets?: Record<string, Record<string, Record<string, unknown>>> } } }>(template.Resources)
      .find(([, r]) => r.Metadata?.ConnectionBudget?.budgets)!;
    const [[budgetPath, consumers]] = Object.entries(resource.Metadata!.ConnectionBudget!.budgets!);
    const [consumerPath] = Object.keys(consumers);
    edit(consumers[consumerPath]);
    fs.writeFileSync(file, JSON.stringify(template));
    return { file, where: `the connection budget record on '${logicalId}' in '${file}' is not a valid version 1 record: budgets['${budgetPath}']['${consumerPath}']` };
  };

  test('a record whose preset gives no environment variable names is refused at once: the readers match those names as patterns', () => {
    // GIVEN a record edited to a prefix that, pasted into a pattern unescaped, backtracks without end
    const edited = copy(head);
    const { where } = editRecord(edited, (consumer) => { (consumer.inputs as { preset: object }).preset = { framework: 'generic', prefix: '(.+)+!' }; });
    // WHEN it is read THEN the field and the rule are named, exit 2
    expect(run(['check', edited])).toEqual({
      code: 2, stdout: '', stderr: `connection-budget: ${where}.inputs.preset gives "(.+)+!_MAX" and 10 more, not environment variable names `
        + '(letters, digits and underscores, not starting with a digit).\n',
    });
  });

  test('a record nesting values deeper than the readers follow is named with its depth, not blamed on its intrinsic functions', () => {
    const deep = copy(head);
    const depth = 20_000;
    const { file } = editRecord(deep, (consumer) => { (consumer.inputs as Record<string, unknown>).nested = '__DEEP__'; });
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"__DEEP__"', `${'['.repeat(depth)}${']'.repeat(depth)}`));
    // The template, Resources, the resource, Metadata, ConnectionBudget, budgets, the budget, the consumer and its inputs hold the lists.
    expect(run(['report', deep])).toEqual({
      code: 2, stdout: '', stderr: `connection-budget: '${file}' nests values ${depth + 9} levels deep, more than the template readers can follow (they ran out `
        + 'of stack); no template CDK synthesizes comes near that: check what wrote this one.\n',
    });
  });

  test('a template with a UTF-8 byte order mark reads like any other', () => {
    const bom = copy(head);
    for (const file of fs.readdirSync(bom).filter((f) => f.endsWith('.template.json'))) {
      fs.writeFileSync(path.join(bom, file), `\uFEFF${fs.readFileSync(path.join(bom, file), 'utf8')}`);
    }
    expect(run(['report', bom]).code).toBe(0);
  });
});

describe('the CLI rebuilds every budget from the templates and the records, and never trusts a stored figure', () => {
  /** A copy of the head assembly whose templates `edit` changed, as someone editing cdk.out by hand would. */
  const edited = (file: string, edit: (template: any) => void, from = head) => {
    const dir = scratch(fs.mkdtempSync(path.join(path.dirname(head), 'edited-')));
    fs.cpSync(from, dir, { recursive: true });
    const template = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    edit(template);
    fs.writeFileSync(path.join(dir, file), JSON.stringify(template));
    return dir;
  };
  const recordOf = (template: any, consumer: string) => Object.values<any>(template.Resources)
    .map((r) => r.Metadata?.ConnectionBudget?.budgets?.['Data/Budget']?.[consumer]).find((r) => r !== undefined);
  /** The same templates with the consumers' records holding no digest, as records written before them: what deploys still decides. */
  const withoutDigests = (dir: string) => edited('Jobs.template.json', (template) => { delete recordOf(template, 'Jobs/Worker').digest; }, dir);
  const editedRecordMessage = (notListed: string) => new RegExp("^x CB-CHECK-BUDGET-ERRORS 'Data/Budget': CB-LEDGER-DIFFERS: ConnectionBudget 'Data/Budget': the ledger "
    + "gives the record of 'Jobs/Worker' as the record holding digest [0-9a-f]{16}, but the templates give a record on logical ID 'WorkerService[0-9A-F]{8}' in "
    + "stack 'Jobs' whose content gives digest [0-9a-f]{16}: the record or its digest was edited after synthesis, so nothing rebuilt from it can be trusted"
    + `${notListed}\\. Synthesize the app again and deploy or check what it writes; never edit a synthesized template's records by hand\\.$`, 'm');

  test('a record edited by hand is named as edited, alone: the other consumers\' variables and limits are not blamed', () => {
    // Worker's pool request 5 made 1 in its record: the budget would count 4 tasks × (1 + 2), and give Api the rest.
    const dir = edited('Jobs.template.json', (template) => { recordOf(template, 'Jobs/Worker').pool.size = 1; });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    // What the edit moved: the Worker's worst case, and the DB_POOL_MAX its task definition deploys (5, the budget rebuilt gives 1).
    expect(result.stdout).toMatch(editedRecordMessage('; 2 other differences found, which it may explain, are not listed'));
    expect(result.stdout).toContain('1 error, no warnings');
    // Without its digest, what deploys catches it: the task definition delivers 5.
    const older = run(['check', withoutDigests(dir)]);
    expect(older.code).toBe(1);
    expect(older.stdout).toContain("CB-VARIABLE-OVERWRITTEN: ConnectionBudget 'Data/Budget': the container 'app' of 'Jobs/WorkerTask' deploys DB_POOL_MAX as '5', "
      + "but the budget delivered '1' and counts that.");
  });

  test('an input only the records hold, edited by hand, is caught by the figures the budget computed from it', () => {
    // Worker's overflow 2 made 0 in its record, and its DB_POOL_MAX_OVERFLOW with it: 4 tasks × 5 = 20 instead of 28.
    const dir = edited('Jobs.template.json', (template) => {
      recordOf(template, 'Jobs/Worker').connections.overflowPerPool = 0;
      for (const resource of Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition')) {
        for (const variable of resource.Properties.ContainerDefinitions[0].Environment ?? []) if (variable.Name === 'DB_POOL_MAX_OVERFLOW') variable.Value = '0';
      }
    });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(editedRecordMessage('; [0-9]+ other differences? found, which it may explain, (is|are) not listed'));
    const older = run(['check', withoutDigests(dir)]);
    expect(older.code).toBe(1);
    expect(older.stdout).toContain("CB-LEDGER-DIFFERS: ConnectionBudget 'Data/Budget': the ledger gives the worst case of 'Jobs/Worker' as 28, but the templates give 20 = ");
  });

  test('a base with an edited record is named on standard error, as its figures are not what was synthesized', () => {
    const dir = edited('Jobs.template.json', (template) => { recordOf(template, 'Jobs/Worker').pool.size = 50; }, base);
    const result = run(['check', head, '--base', dir, '--max-increase', '10']);
    expect(result.stderr).toBe(`connection-budget: note: in the base, budget 'Data/Budget' holds records edited after synthesis ('Jobs/Worker') in the 3 templates `
      + `of cloud assembly '${dir}': its figures there are rebuilt from them, so a change compared with it may be larger or smaller than shown. Compare with `
      + 'the deployed templates as they are, or a fresh synth of the base revision.\n');
    expect(run(['diff', '--base', dir, '--head', head]).stderr).toBe(result.stderr);
  });

  test('a record edited to let another security group in is named, even when nothing else differs', () => {
    // GIVEN a rule from a group of no consumer to the proxy, and that group added to the Worker's record as one of its own
    const withRule = edited('Data.template.json', (template) => {
      const proxyGroup = Object.keys(template.Resources).find((id) => id.startsWith('DbProxyProxySecurityGroup'))!;
      template.Resources.Rogue = { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'rogue', VpcId: 'vpc-1' } };
      template.Resources.RogueIngress = {
        Type: 'AWS::EC2::SecurityGroupIngress',
        Properties: { GroupId: { 'Fn::GetAtt': [proxyGroup, 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': ['Rogue', 'GroupId'] }, IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 },
      };
    });
    expect(run(['check', withRule]).stdout).toContain('CB-UNBUDGETED-INGRESS');
    const dir = edited('Jobs.template.json', (template) => {
      recordOf(template, 'Jobs/Worker').inputs.securityGroups.push({ stack: 'Data', stackName: 'Data', value: { intrinsicJson: '{"Fn::GetAtt":["Rogue","GroupId"]}' } });
    }, withRule);
    // WHEN checked THEN the edit is named, and the check fails
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(editedRecordMessage(''));
  });

  test('a reservation the budget\'s record holds, edited by hand, is caught by the totals', () => {
    const dir = edited('Data.template.json', (template) => {
      const record = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::CloudFormation::WaitConditionHandle').Metadata.ConnectionBudget;
      record.inputs.reservations = record.inputs.reservations.map((r: { connections: number }) => ({ ...r, connections: 1 }));
    });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    // migrations 10 → 1: what the database keeps for it.
    expect(result.stdout).toContain("CB-LEDGER-DIFFERS: ConnectionBudget 'Data/Budget': the ledger gives the totals as worst case 268 of 495, required 268, reserved 10, "
      + 'but the templates give worst case 268 of 495, required 268, reserved 1.');
    // AND as a base, its figures are noted as not the synthesized ones
    expect(run(['diff', '--base', dir, '--head', head]).stderr).toBe(`connection-budget: note: in the base, budget 'Data/Budget' differs from what its templates `
      + `deploy (1 CB-LEDGER-DIFFERS) in the 3 templates of cloud assembly '${dir}': its figures there are rebuilt from what deploys, not the ones synthesized, `
      + 'so a change compared with it may be larger or smaller than shown. Compare with the deployed templates as they are, or a fresh synth of the base revision.\n');
  });

  /** The budget's record in the Data stack's template. */
  const budgetRecordOf = (template: any) => Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::CloudFormation::WaitConditionHandle').Metadata.ConnectionBudget;
  const instanceOf = (template: any) => Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::RDS::DBInstance')!;

  test('the database\'s port comes from what deploys: a record edited to another port neither hides a rule to the real one nor passes', () => {
    // GIVEN the instance with no Port (RDS for PostgreSQL listens on 5432), its record edited to 3306, and a rule from 10.0.0.0/8 on 5432
    const dir = edited('Data.template.json', (template) => {
      budgetRecordOf(template).inputs.database.port = 3306;
      const instanceGroup = Object.keys(template.Resources).find((id) => id.startsWith('DbInstanceSecurityGroup') && template.Resources[id].Type === 'AWS::EC2::SecurityGroup')!;
      template.Resources.WideIngress = {
        Type: 'AWS::EC2::SecurityGroupIngress',
        Properties: { GroupId: { 'Fn::GetAtt': [instanceGroup, 'GroupId'] }, CidrIp: '10.0.0.0/8', IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 },
      };
    });
    const data = JSON.parse(fs.readFileSync(path.join(dir, 'Data.template.json'), 'utf8'));
    expect(data.Resources[instanceOf(data)].Properties.Port).toBeUndefined();
    // WHEN checked THEN the rule to 5432 is found, and the record's port is named as differing
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('CB-UNBUDGETED-INGRESS');
    expect(result.stdout).toContain("CB-LEDGER-DIFFERS: ConnectionBudget 'Data/Budget': the ledger gives the port of 'Data/Db' as 3306, but the templates give 5432.");
  });

  /** The Data stack with a rule from 10.0.0.0/8 on `port` to the instance's security group, and `edit` applied. */
  const openedOn = (port: number, edit: (template: any) => void) => edited('Data.template.json', (template) => {
    const instanceGroup = Object.keys(template.Resources).find((id) => id.startsWith('DbInstanceSecurityGroup') && template.Resources[id].Type === 'AWS::EC2::SecurityGroup')!;
    template.Resources.WideIngress = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { GroupId: { 'Fn::GetAtt': [instanceGroup, 'GroupId'] }, CidrIp: '10.0.0.0/8', IpProtocol: 'tcp', FromPort: port, ToPort: port },
    };
    edit(template);
  });

  test('a database restored from a snapshot listens on the snapshot\'s port, which the templates do not say: a rule on any port counts', () => {
    const dir = openedOn(5433, (template) => { template.Resources[instanceOf(template)].Properties.DBSnapshotIdentifier = 'arn:aws:rds:eu-west-1:123456789012:snapshot:old-5433'; });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("CB-UNBUDGETED-INGRESS: ConnectionBudget 'Data/Budget': the security group rule 'logical ID 'WideIngress' in stack 'Data'' lets "
      + "10.0.0.0/8 connect to 'Data/Db' on port 5433");
    // A new instance listens on 5432: the same rule on 5433 reaches nothing
    expect(run(['check', openedOn(5433, () => undefined)]).code).toBe(0);
  });

  test('an engine known only at deploy is unresolved, and leaves the port unknown: an edited record cannot move the checks off 5432', () => {
    const dir = openedOn(5432, (template) => {
      template.Parameters = { ...template.Parameters, Eng: { Type: 'String', Default: 'postgres' } };
      template.Resources[instanceOf(template)].Properties.Engine = { Ref: 'Eng' };
      budgetRecordOf(template).inputs.engine = 'rds-mysql';
    });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("CB-UNRESOLVED-VALUE: ConnectionBudget 'Data/Budget': the engine of 'Data/Db' is unknown until deploy (its Engine is a token, "
      + "chosen at deploy), so the worst case cannot be computed. Give 'Data/Db' its engine through the construct, not a parameter or an override.");
    expect(result.stdout).toContain('CB-UNBUDGETED-INGRESS');
    // AND a template with no Engine (a replica's or a restore's, which take their source's) says so
    const noEngine = run(['check', edited('Data.template.json', (template) => { delete template.Resources[instanceOf(template)].Properties.Engine; })]);
    expect(noEngine.stdout).toContain("the engine of 'Data/Db' is unknown until deploy (its template sets no Engine: a replica or a restore takes its source's)");
  });

  test('the database\'s engine comes from what deploys: a record edited to another engine is named', () => {
    const dir = edited('Data.template.json', (template) => { budgetRecordOf(template).inputs.engine = 'rds-mysql'; });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("CB-LEDGER-DIFFERS: ConnectionBudget 'Data/Budget': the ledger gives the engine of 'Data/Db' as RDS for MySQL, "
      + "but the templates give Engine 'postgres' (RDS for PostgreSQL).");
  });

  test('templates that deploy more than the budget computed fail check with the real figures', () => {
    // Api's autoscaling maximum raised in the template after the budget computed (an edit, an override).
    const dir = edited('Web.template.json', (template) => {
      Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget').Properties.MaxCapacity = 30;
    });
    const result = run(['check', dir, '--format', 'json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).violations.map((v: { message: string }) => v.message.split(':')[0])).toContain('CB-OVER-CAPACITY');
  });

  test('a record the templates lack is a missing consumer, never an absent one', () => {
    const dir = edited('Jobs.template.json', (template) => {
      for (const resource of Object.values<any>(template.Resources)) delete resource.Metadata?.ConnectionBudget;
    });
    const result = run(['check', dir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("CB-LEDGER-DIFFERS: ConnectionBudget 'Data/Budget': the ledger gives the place of the consumer 'Jobs/Worker' as its record, "
      + "on a resource of stack 'Jobs', but the templates give no such resource.");
  });

  test('a budget stored whole, as templates of schema 4 hold it, reads to the same report as its records', () => {
    const records = JSON.parse(run(['report', head, '--format', 'json']).stdout).budgets[0];
    const dir = edited('Data.template.json', (template) => {
      template.Metadata['ConnectionBudgetLedger:Data/Budget'] = records;
      const holder = Object.entries<any>(template.Resources).find(([, r]) => r.Type === 'AWS::CloudFormation::WaitConditionHandle')![0];
      delete template.Resources[holder];
    });
    expect(JSON.parse(run(['report', dir, '--format', 'json']).stdout).budgets).toEqual([records]);
  });
});

describe('colour', () => {
  // eslint-disable-next-line no-control-regex -- a colour code starts with the escape character
  const ansi = /\u001b\[/;
  test.each<[string, { isTTY?: boolean; env?: Record<string, string> }, string[], boolean]>([
    ['a terminal gets colour', { isTTY: true }, [], true],
    ['a pipe gets none', { isTTY: false }, [], false],
    ['NO_COLOR turns it off', { isTTY: true, env: { NO_COLOR: '1' } }, [], false],
    ['FORCE_COLOR=0 turns it off', { isTTY: true, env: { FORCE_COLOR: '0' } }, [], false],
    ['--no-color turns it off', { isTTY: true }, ['--no-color'], false],
  ])('%s', (_name, options, flags, coloured) => {
    expect(ansi.test(run(['report', head, ...flags], options).stdout)).toBe(coloured);
  });

  test('markdown and json never carry colour', () => {
    expect(ansi.test(run(['report', head, '--format', 'markdown'], { isTTY: true }).stdout)).toBe(false);
    expect(ansi.test(run(['report', head, '--format', 'json'], { isTTY: true }).stdout)).toBe(false);
  });
});
