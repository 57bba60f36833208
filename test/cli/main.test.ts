import * as fs from 'fs';
import * as path from 'path';
import { LEDGER_SCHEMA_VERSION } from '../../lib/budget';
import { USAGE } from '../../lib/cli/main';
import { ecsService } from '../budget/fixtures';
import { assemblyWith, directoryWith, run, runAsync, sampleLedger, templateWith } from './fixtures';

// base: Api 10 tasks → 20 × 10 = 200, Worker 4 × 7 = 28; head: Api 12 tasks → 240.
const base = assemblyWith({ Data: [sampleLedger(10)] });
const head = assemblyWith({ Data: [sampleLedger(12)] });
const over = assemblyWith({ Data: [sampleLedger(30)] });

afterAll(() => {
  for (const dir of [base, head, over]) fs.rmSync(dir, { recursive: true, force: true });
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
    [['report', '--bogus'], 'Unknown option \'--bogus\''],
    [['report', '--format', 'yaml'], '--format must be one of text, markdown, json, got \'yaml\'.'],
    [['report', '--max-utilization', '50'], '--max-utilization cannot be used with report.'],
    [['diff'], 'diff needs --base: the assembly or templates to compare against.'],
    [['diff', 'a', 'b'], 'diff takes no positional arguments (got \'a b\'); pass --base and --head.'],
    [['report', 'a', 'b'], 'report takes at most one assembly (got \'a b\').'],
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
    const ledger = sampleLedger();
    const mysql = directoryWith({ 'Data.json': templateWith({ ...ledger, capacity: { ...ledger.capacity!, engine: 'rds-mysql' } }) });
    const result = await runAsync(['rehearse', mysql]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'connection-budget: budget \'Data/Budget\' is for rds-mysql; rehearsals run on PostgreSQL only.\n' });
  });

  test('an assembly with several budgets needs --budget', async () => {
    const two = assemblyWith({ Data: [sampleLedger()], Other: [{ ...sampleLedger(), budgetPath: 'Other/Budget' }] });
    const result = await runAsync(['rehearse', two]);
    expect(result.stderr).toBe('connection-budget: the assembly has 2 budgets; choose one with --budget (\'Data/Budget\', \'Other/Budget\').\nRun connection-budget --help for usage.\n');
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
      new RegExp(`the ledger 'Data/Budget' in '.+Data\\.json' has ledger schema version 99, but this connection-budget reads version ${LEDGER_SCHEMA_VERSION}\\. Run the connection-budget CLI of the library version that synthesized it\\.\\n$`)],
    ['a damaged ledger', () => directoryWith({ 'Data.json': templateWith({ ...sampleLedger(), consumers: 'none' } as never) }),
      /the ledger 'Data\/Budget' in '.+Data\.json' is not a valid version 1 ledger: consumers must be an array\.\n$/],
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

  test('an internal error exits 3 with a message, and the stack trace only on request', () => {
    const broken = directoryWith({ 'Data.json': templateWith(sampleLedger()) });
    // A ledger that passes the schema check but breaks the renderer: a reservation that is not an object.
    const ledger = sampleLedger();
    fs.writeFileSync(path.join(broken, 'Data.json'), JSON.stringify(templateWith({ ...ledger, capacity: { ...ledger.capacity!, reservations: [null as never] } })));
    const plain = run(['report', broken]);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toMatch(/^connection-budget: internal error: .+\nThis is a bug; please report it with the command you ran\. Set CONNECTION_BUDGET_DEBUG=1 for the stack trace\.\n$/);
    expect(run(['report', broken], { env: { CONNECTION_BUDGET_DEBUG: '1' } }).stderr).toMatch(/\n\s+at /);
  });
});

describe('inputs', () => {
  test('reads a directory of templates exported from deployed stacks, TemplateBody wrapper included', () => {
    const exported = directoryWith({
      'PlatformData.json': { TemplateBody: templateWith(sampleLedger(10)), StagesAvailable: ['Original', 'Processed'] },
      'PlatformWeb.json': { TemplateBody: JSON.stringify({ Resources: {} }) },
      'notes.json': { not: 'a template' },
    });
    const result = run(['diff', '--base', exported, '--head', head]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('~  Web/Api  +40  (200 → 240)');
  });

  test('reads one template file', () => {
    expect(run(['report', path.join(head, 'Data.template.json')]).stdout).toContain('Connection budget Data/Budget (RDS for PostgreSQL)');
  });

  test('reads nested assemblies (CDK Stages)', () => {
    const nested = directoryWith({
      'manifest.json': { version: '55.0.0', artifacts: { assemblyProd: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Prod' } } } },
      'assembly-Prod/manifest.json': { version: '55.0.0', artifacts: { ProdData: { type: 'aws:cloudformation:stack', properties: { templateFile: 'ProdData.template.json' } } } },
      'assembly-Prod/ProdData.template.json': templateWith({ ...sampleLedger(), budgetPath: 'Prod/Data/Budget' }),
    });
    expect(run(['report', nested]).stdout).toContain('Connection budget Prod/Data/Budget');
  });

  test('a budget that appears only in the head is an added budget', () => {
    const empty = directoryWith({ 'Data.json': { Resources: {} } });
    const result = run(['diff', '--base', empty, '--head', assemblyWith({ Data: [sampleLedger(10, [ecsService('Web/Extra', { maxTasks: 1, pool: 1 })])] })]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('+ Connection budget Data/Budget');
  });
});

describe('colour', () => {
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
