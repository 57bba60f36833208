import * as fs from 'fs';
import * as path from 'path';
import { buildLedger, evaluateBudget } from '../lib/budget';
import { budget, ecsService, ecsTask, inputsOf, lambdaFunction, postgresBehindProxy } from './budget/fixtures';
import { docsPage, documentation, documentationFiles } from './helpers/docs';

/** The `ts` blocks of the README and docs/ that are whole apps (they call `app.synth()`). */
const apps = [...documentation().matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes('app.synth()'));

const folder = path.join(__dirname, '.readme-examples');

afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

test('the documentation has its five example apps (the README\'s, and four in docs/usage.md)', () => {
  expect(apps).toHaveLength(5);
});

test.each(apps.map((code, i) => [i + 1, code]))('documentation example %i synthesizes without budget errors or warnings', async (i, code) => {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `example-${i}.ts`);
  const source = (code as string)
    .replace("from 'cdk-connection-budget'", `from '${path.join(__dirname, '..', 'lib')}'`)
    .replace('app.synth();', 'export const assembly = app.synth();');
  fs.writeFileSync(file, source);
  const { assembly } = await import(file);
  const messages = assembly.stacks.flatMap((stack: any) => stack.messages)
    .filter((message: any) => message.level === 'warning' || message.level === 'error')
    .map((message: any) => String(message.entry.data));
  // Only the budget's own findings; the reboot reminder is expected from every BudgetedDatabase until acknowledged.
  expect(messages.filter((m: string) => /\[ack: CB-|\[CB-/.test(m) && !m.includes('CB-MAX-CONNECTIONS-REBOOT'))).toEqual([]);
  expect(messages.some((m: string) => m.includes('CB-MAX-CONNECTIONS-REBOOT')) || !(code as string).includes('BudgetedDatabase(')).toBe(true);
});

describe('docs/ledger-schema.md documents the ledger schema', () => {
  /**
   * Every leaf field of a ledger, arrays as `[]`. The variables map, a preset and a rendered source value each count as
   * one field: their keys are variable names, a preset's depend on its framework, a value is CloudFormation's own.
   */
  function fieldsOf(value: unknown, prefix = ''): string[] {
    if (/(poolSettings\.variables|inputs\.preset|\[\]\.value)$/.test(prefix)) return [prefix];
    // An unchained consumer's wave is null; the chained one lists its fields.
    if (value === null && prefix === 'consumers[].wave') return [];
    if (Array.isArray(value)) return value.flatMap((item) => fieldsOf(item, `${prefix}[]`));
    if (value !== null && typeof value === 'object') {
      return Object.entries(value).flatMap(([key, item]) => fieldsOf(item, prefix ? `${prefix}.${key}` : key));
    }
    return [prefix];
  }

  test('the field table lists exactly the fields a ledger has', () => {
    // Every shape, both pool requests, a reservation through the proxy, and a problem (near capacity).
    const input = budget(postgresBehindProxy(300, 90, { reservations: [{ name: 'migrations', connections: 1, throughProxy: true }] }), [
      // Chained: a budget that deploys in waves.
      { ...ecsService('Web/Api', { maxTasks: 12, pool: 10 }), wave: { chain: 'Web/Api', service: 'Web/Api' } },
      ecsService('Web/Blue', { maxTasks: 1, pool: { kind: 'share', weight: 1, min: 1, max: 2 }, deployment: { kind: 'parallel-fleet', reason: 'blue/green' } }),
      lambdaFunction('Fn', { maxConcurrency: 2 }),
      ecsTask('Job', { runs: 1, tasksPerRun: 1, pool: 1 }),
    ]);
    // Every list of the inputs holds one source, and one warning is acknowledged.
    const source = { stack: 'Web', stackName: 'Web', value: { 'Fn::GetAtt': ['Group', 'GroupId'] } };
    const inputs = inputsOf(input, ['CB-ESTIMATED-MAX-CONNECTIONS']);
    const budgetInputs = {
      ...inputs.budget,
      database: { ...inputs.budget.database!, securityGroups: [source] },
      proxy: { ...inputs.budget.proxy!, securityGroups: [source] },
      // The optional fields: the Data API's reservation, and the Serverless v2 capacity a BudgetedDatabase wrote max_connections for.
      reservations: inputs.budget.reservations.map((r) => ({
        ...r, clients: [source], dataApi: true as const, share: { weight: 1, min: 1, max: 2 }, databaseUser: 'cb_allocation_orders_0a1b2c3d',
      })),
      serverlessV2Default: { path: 'Data/Db', minCapacityAcu: 0.5, maxCapacityAcu: 16 },
      waves: { services: [{ path: 'Web/Api', resource: { stack: 'Web', stackName: 'Web', logicalId: 'Api' } }] },
      // A budget built from an allocation has this instead of a database; listed together so one ledger shows every field.
      allocation: {
        budgetPath: 'Platform/Budget', name: 'orders', connections: 100, basis: 'given in code (attributes)', source: 'attributes' as const, pending: false, deployTimeCheck: false,
        parameterName: '/connection-budget/Platform/Budget/allocations/orders', clientSecurityGroupId: 'sg-0123456789abcdef0', port: 5432, proxyIdleClientTimeoutSeconds: 1800,
        databaseUser: 'cb_allocation_orders_0a1b2c3d',
      },
    };
    // The optional consumer field: the database user a BudgetedDatabase gives the consumer.
    const consumers = new Map([...inputs.consumers].map(([path, c]) => [path, { ...c, securityGroups: [source], databaseUser: 'cb_web_api_0a1b2c3d' }]));
    const ledger = buildLedger(evaluateBudget(input), { budget: budgetInputs, consumers });
    expect(ledger.problems.length).toBeGreaterThan(0);
    const section = docsPage('ledger-schema.md');
    const documented = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...new Set(fieldsOf(ledger))].sort());
  });
});

describe('the documentation\'s links', () => {
  const ROOT = path.join(__dirname, '..');
  /** GitHub's anchor of a heading: lower case, without punctuation but hyphens and underscores, spaces as hyphens. */
  const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, '').replace(/ /g, '-');
  const anchorsOf = (file: string) => new Set([...fs.readFileSync(file, 'utf8').replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, '')
    .matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
  const files = [...documentationFiles(), path.join(ROOT, 'CONTRIBUTING.md'), path.join(ROOT, 'CHANGELOG.md')];

  test.each(files.map((f) => [path.relative(ROOT, f), f]))('every relative link of %s leads to a file and a heading there', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8').replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [relative, hash] = target.split('#');
      const destination = relative === '' ? file : path.resolve(path.dirname(file), relative);
      if (!fs.existsSync(destination)) broken.push(`${target}: no such file`);
      else if (hash !== undefined && destination.endsWith('.md') && !anchorsOf(destination).has(hash)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
