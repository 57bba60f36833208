import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The package as a user gets it: packed from the build (`npm run build`, which CI runs before the tests), installed into
// a fresh app with npm, synthesized there, and the CLI run from the installed package.
const ROOT = path.join(__dirname, '..', '..');
/** npm pack, npm install and a synth of a small app; a bound on a stuck run, never a verdict. */
const PACKAGE_TEST_TIMEOUT_MS = 300_000;

/** The deploy-time guards' handlers, which `npm run build` bundles into dist/handlers. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a build script of plain JavaScript, outside the TypeScript project
const { HANDLERS: GUARD_HANDLERS, bundleHandlers } = require('../../bin/bundle-handlers') as { HANDLERS: string[]; bundleHandlers: (outdir: string) => void };

const npm = (args: string[], cwd: string): string => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed library', () => {
  let work = '';
  let files: string[] = [];
  let tarball = '';
  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js')) || !fs.existsSync(path.join(ROOT, '.jsii'))) {
      throw new Error('the package is packed from the build: run npm run build first (CI does, before the tests)');
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-'));
    // The handlers' bundles are what the sources bundle to now (they take in lib/budget too): never a stale build's.
    bundleHandlers(path.join(work, 'handlers'));
    const stale = GUARD_HANDLERS.filter((h) => !fs.existsSync(path.join(ROOT, 'dist', 'handlers', h, 'index.js'))
      || !fs.readFileSync(path.join(ROOT, 'dist', 'handlers', h, 'index.js')).equals(fs.readFileSync(path.join(work, 'handlers', h, 'index.js'))));
    if (stale.length > 0) {
      throw new Error(`dist/handlers is not what the sources bundle to (${stale.join(', ')}): run npm run build first`);
    }
    // --ignore-scripts: the build is already there; pack what it wrote.
    const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed.files.map((f) => f.path);
    tarball = path.join(work, packed.filename);
  }, PACKAGE_TEST_TIMEOUT_MS);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('ships the compiled library, its .jsii, the CLI and the docs, and nothing else', () => {
    expect(files).toEqual(expect.arrayContaining(['.jsii', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'bin/connection-budget.js', 'docs/usage.md',
      'README.md', 'API.md', 'LICENSE', 'CHANGELOG.md', 'package.json', ...GUARD_HANDLERS.map((h) => `dist/handlers/${h}/index.js`)]));
    const outside = files.filter((f) => !/^(dist\/lib\/.+\.(js|d\.ts)|dist\/handlers\/[a-z-]+\/index\.js|bin\/connection-budget\.js|\.jsii|README\.md|API\.md|docs\/[a-z-]+\.md|LICENSE|CHANGELOG\.md|CONTRIBUTING\.md|package\.json)$/.test(f));
    expect(outside).toEqual([]);
    // The guards' handlers ship only as their bundles, drivers included: their compiled modules would need pg and mysql2.
    expect(files.filter((f) => f.startsWith('dist/lib/guards/'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|bench|\.ci)\//.test(f) || f === 'cdk.json' || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  test('installs into a fresh app, which synthesizes a budget and runs the CLI from the installed package', () => {
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    // The library from its tarball (its handlers' drivers bundled in them); the peers an app already has, here linked from this
    // checkout (npm's own file: links of them fail in npm 11's arborist), so nothing is downloaded.
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, dependencies: { 'cdk-connection-budget': `file:${tarball}` } }));
    npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps'], app);
    // No cdk-nag: it is an optional peer, needed only by the rule pack.
    for (const peer of ['aws-cdk-lib', 'constructs']) fs.symlinkSync(path.join(ROOT, 'node_modules', peer), path.join(app, 'node_modules', peer));
    fs.writeFileSync(path.join(app, 'app.js'), `
const { App, Stack, aws_ec2: ec2, aws_ecs: ecs, aws_rds: rds } = require('aws-cdk-lib');
const { ConnectionBudget, DatabaseTarget, PoolSize } = require('cdk-connection-budget');
const app = new App({ outdir: process.argv[2] });
const data = new Stack(app, 'Data');
const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
const parameterGroup = new rds.ParameterGroup(data, 'Params', { engine, parameters: { max_connections: '400' } });
const database = new rds.DatabaseInstance(data, 'Db', {
  engine, vpc, parameterGroup, storageEncrypted: true, instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE),
});
const proxy = database.addProxy('Proxy', { vpc, secrets: [database.secret], maxConnectionsPercent: 90, requireTLS: true });
const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromInstance(database), proxy });
const cluster = new ecs.Cluster(data, 'Cluster', { vpc });
const taskDefinition = new ecs.FargateTaskDefinition(data, 'ApiTask');
taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
const api = new ecs.FargateService(data, 'Api', { cluster, taskDefinition, desiredCount: 4, minHealthyPercent: 100 });
budget.addEcsService(api, { pool: PoolSize.fixed(10) });
app.synth();
`);
    const out = path.join(app, 'cdk.out');
    execFileSync(process.execPath, ['app.js', out], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    const report = execFileSync(path.join(app, 'node_modules', '.bin', 'connection-budget'), ['report', out], { cwd: app, encoding: 'utf8' });
    // 4 tasks × 200 % × pool 10 = 80 of floor(400 × 90 %) − 5 kept by RDS Proxy = 355.
    expect(report).toContain('Connection budget Data/Budget (RDS for PostgreSQL)');
    expect(report).toContain('worst case 80 of 355');
    // The pending-reboot guard's function is the handler bundled into the package: the app has no esbuild or Docker to
    // bundle it with, and needs none.
    const assets = fs.readdirSync(out).filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(out, d, 'index.js')))
      .map((d) => fs.readFileSync(path.join(out, d, 'index.js'), 'utf8'));
    const shipped = fs.readFileSync(path.join(app, 'node_modules', 'cdk-connection-budget', 'dist', 'handlers', 'reboot-guard-handler', 'index.js'), 'utf8');
    expect(assets).toContain(shipped);
    // The installed library is the packed one, not this checkout.
    expect(fs.realpathSync(path.join(app, 'node_modules', 'cdk-connection-budget'))).toBe(path.join(app, 'node_modules', 'cdk-connection-budget'));

    // The main entry never loads cdk-nag; the rule pack says what it needs, and works once cdk-nag 3 is there.
    const probe = (code: string) => execFileSync(process.execPath, ['-e', code], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(probe("require('cdk-connection-budget'); console.log(Object.keys(require.cache).some((f) => f.includes('cdk-nag')))")).toBe('false\n');
    expect(probe("try { require('cdk-connection-budget').ConnectionBudgetChecks } catch (e) { console.log(e.message) }")).toBe(
      'cdk-connection-budget: ConnectionBudgetChecks is a cdk-nag 3 rule pack, and this app has no cdk-nag; install it (npm install cdk-nag@^3) '
      + 'to use the pack. The connection budget itself does not need cdk-nag.\n');
    fs.symlinkSync(path.join(ROOT, 'node_modules', 'cdk-nag'), path.join(app, 'node_modules', 'cdk-nag'));
    expect(probe("const { ConnectionBudgetChecks } = require('cdk-connection-budget'); console.log(new ConnectionBudgetChecks().name)")).toBe('ConnectionBudget\n');
  }, PACKAGE_TEST_TIMEOUT_MS);
});
