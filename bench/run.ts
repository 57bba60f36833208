#!/usr/bin/env node
// The library's cost, measured: `npm run bench` (npx ts-node --transpile-only bench/run.ts [--skip-suite]).
// Prints six figures: synth overhead of the budget on a 220-consumer app (as installed and in a checkout), what deploying in waves buys there,
// allocation time for 10,000 consumers, how much of the ceiling derived pools use, template bytes and the CLI's time at
// 1,000 consumers (it needs the compiled CLI: npm run build), and the test suite's wall time. Figures, not tests:
// nothing here fails a build.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { allocate, AllocationRequest, evaluateBudget, PoolRequest } from '../lib/budget';
import { buildManyConsumers, MANY_CONSUMERS, ManyConsumersOptions, manyConsumersStacks } from './many-consumers';

const SYNTH_RUNS = 9;
const ALLOCATION_CONSUMERS = 10_000;
const ALLOCATION_RUNS = 7;
const UTILIZATION_CASES = 2_000;
const SCALE_CONSUMERS = 1_000;
const CLI_RUNS = 7;
/**
 * The lower of CloudFormation's two figures for a template read from S3 (docs/known-limits.md): "max size: 460,800
 * bytes" in the API reference's TemplateURL (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ValidateTemplate.html).
 */
const TEMPLATE_BYTES_QUOTA = 460_800;
const CLI = path.join(__dirname, '..', 'bin', 'connection-budget.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeSynth(options: ManyConsumersOptions): number {
  const started = process.hrtime.bigint();
  const app = new App();
  buildManyConsumers(app, options);
  app.synth();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The compiled library, as an app that installs the package loads it; undefined before npm run build. */
function compiledLibrary(): ManyConsumersOptions['library'] | undefined {
  const index = path.join(__dirname, '..', 'dist', 'lib', 'index.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
  return fs.existsSync(index) ? require(index) : undefined;
}

/**
 * Synth with the budget against synth without it, on the library as installed (compiled, the guards' handlers bundled
 * in the package) and as in a checkout (the sources, the reboot guard's handler bundled at every synth).
 */
function synthOverhead(): string {
  const installed = compiledLibrary();
  const variants: Array<{ name: string; options: ManyConsumersOptions }> = [
    ...(installed ? [{ name: 'as installed', options: { withBudget: true, library: installed } }] : []),
    { name: 'in a checkout', options: { withBudget: true } },
  ];
  const without = { withBudget: false };
  // Warm-up: module loading and JIT, for every variant alike.
  variants.forEach((v) => timeSynth(v.options));
  timeSynth(without);
  const times = new Map(variants.map((v) => [v.name, [] as number[]]));
  const plain: number[] = [];
  for (let run = 0; run < SYNTH_RUNS; run++) {
    // Alternate, so a slow moment of the machine falls on every variant.
    variants.forEach((v) => times.get(v.name)!.push(timeSynth(v.options)));
    plain.push(timeSynth(without));
  }
  const ratios = variants.map((v) => `${v.name} ${median(times.get(v.name)!).toFixed(0)} ms, ratio ${(median(times.get(v.name)!) / median(plain)).toFixed(3)}`);
  return `synth overhead (${MANY_CONSUMERS} consumers, ${manyConsumersStacks()} stacks, median of ${SYNTH_RUNS}): with the budget ${ratios.join('; ')}`
    + `${installed ? '' : ' (as installed: skipped, the library is not compiled: npm run build)'}; without ${median(plain).toFixed(0)} ms (target ≤ 1.05)`;
}

/**
 * What deploying in waves buys on the 220-consumer app: the worst case and the derived pools with and without the chain,
 * the ratio of the worst case counting every surge to the credited one at the same pools, and what chaining costs synth.
 */
function wavesCredit(): string {
  const measure = (deployInWaves: boolean) => {
    const started = process.hrtime.bigint();
    const app = new App();
    const { budget } = buildManyConsumers(app, { withBudget: true, deployInWaves });
    app.synth();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const { totals, consumers } = budget!._evaluation();
    const shares = consumers.filter((c) => c.input.pool.kind === 'share');
    return { ms, totals, meanSharedPool: shares.reduce((n, c) => n + c.poolSize, 0) / shares.length };
  };
  measure(true); // warm-up
  const parallel = measure(false);
  const waves = measure(true);
  const ratio = waves.totals.uncreditedDemand / waves.totals.demand;
  return `deploying in waves (${MANY_CONSUMERS} consumers): worst case ${parallel.totals.demand} of ${parallel.totals.ceiling} without, `
    + `${waves.totals.demand} with (${waves.totals.uncreditedDemand} if every service surged at once at the same pools: ratio ${ratio.toFixed(3)}); `
    + `mean derived pool ${parallel.meanSharedPool.toFixed(2)} → ${waves.meanSharedPool.toFixed(2)}; synth ${parallel.ms.toFixed(0)} ms → ${waves.ms.toFixed(0)} ms`;
}

/** A deterministic pseudo-random sequence, so every run measures the same inputs. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function allocationTime(): string {
  const next = random(42);
  const requests: AllocationRequest[] = Array.from({ length: ALLOCATION_CONSUMERS }, (_, i) => {
    const pool: PoolRequest = i % 3 === 0
      ? { kind: 'fixed', size: 1 + Math.floor(next() * 10) }
      : { kind: 'share', weight: 1 + Math.floor(next() * 4), min: 1, max: 50 };
    return { id: `consumer-${String(i).padStart(5, '0')}`, connectionsPerPoolUnit: 1 + Math.floor(next() * 8), fixedConnections: 0, pool };
  });
  const required = requests.reduce((n, r) => n + r.connectionsPerPoolUnit * (r.pool.kind === 'fixed' ? r.pool.size : r.pool.min), 0);
  const capacity = required * 3;
  const times: number[] = [];
  for (let run = 0; run < ALLOCATION_RUNS; run++) {
    const started = process.hrtime.bigint();
    allocate(capacity, requests);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return `allocation of ${ALLOCATION_CONSUMERS} consumers (capacity ${capacity}, median of ${ALLOCATION_RUNS}): ${median(times).toFixed(1)} ms (target < 100 ms)`;
}

/**
 * Random budgets of derived pools whose minimums fit and whose maximums do not cap them (max 1000): the
 * share of the effective ceiling their worst case uses. Pools are whole numbers, so a consumer whose next
 * pool step costs more connections than are left cannot take them; the figure also checks that no
 * consumer could have grown (the allocation is maximal) and counts the cases at or above 97 %.
 */
function utilization(): string {
  const next = random(7);
  const shares: number[] = [];
  let maximal = 0;
  for (let c = 0; c < UTILIZATION_CASES; c++) {
    const maxConnections = 200 + Math.floor(next() * 4800);
    const consumers = Array.from({ length: 1 + Math.floor(next() * 12) }, (_, i) => ({
      path: `S/C${i}`,
      kind: 'ecs-service' as const,
      shape: { kind: 'ecs-service' as const, maxTasks: 1 + Math.floor(next() * 20), maxTasksBasis: 'autoscaling maximum', deployment: { kind: 'rolling' as const, maximumPercent: 200 } },
      connections: { processes: 1 + Math.floor(next() * 3), poolsPerProcess: 1, overflowPerPool: 0 },
      pool: { kind: 'share' as const, weight: 1 + Math.floor(next() * 5), min: 1, max: 1000 },
      unresolved: [],
    }));
    const evaluation = evaluateBudget({
      path: 'Data/Budget',
      capacity: { engine: 'rds-postgresql', instances: [{ path: 'Db', parameterGroupMaxConnections: maxConnections }], reservations: [],
        proxy: { path: 'Proxy', maxConnectionsPercent: 90, targetsDatabase: true } },
      consumers,
      warningThresholdPercent: 100,
      unresolved: [],
    });
    const { totals } = evaluation;
    // A consumer at its maximum cannot take more; such budgets are outside what the target speaks of.
    const capped = evaluation.consumers.some((r) => r.input.pool.kind === 'share' && r.poolSize >= r.input.pool.max);
    if (!capped && evaluation.allocation && evaluation.allocation.shortfall === 0 && totals.ceiling && totals.headroom !== undefined) {
      shares.push((100 * totals.demand) / totals.ceiling);
      const smallestStep = Math.min(...evaluation.consumers.map((r) => (r.instances?.peak ?? 0) * r.input.connections.processes * r.input.connections.poolsPerProcess));
      if (totals.headroom < smallestStep) maximal += 1;
    }
  }
  const atTarget = shares.filter((share) => share >= 97).length;
  return `utilization of derived pools (${shares.length} random budgets whose minimums fit and maximums do not cap): median ${median(shares).toFixed(2)} %, lowest ${Math.min(...shares).toFixed(2)} %; `
    + `${atTarget} of ${shares.length} (${((100 * atTarget) / shares.length).toFixed(1)} %) at or above the 97 % target; `
    + `in ${maximal} of ${shares.length} the headroom left is smaller than any consumer's next pool step`;
}

/** An app of `consumers` consumers synthesized into a new directory, with the first service scaled `extraTasks` further. */
function synthesizeScale(consumers: number, extraTasks: number): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  const app = new App({ outdir });
  buildManyConsumers(app, { withBudget: true, consumers, extraTasks });
  app.synth();
  return outdir;
}

/**
 * The median and slowest wall times, in ms, of new node processes running each of `commands` (the compiled CLI as a user
 * runs it, and a bare node start), run in rounds: the host's speed changes from minute to minute, and a slow moment then
 * falls on every command alike.
 */
function processTimes(commands: ReadonlyArray<readonly string[]>): Array<{ median: number; slowest: number }> {
  const times = commands.map(() => [] as number[]);
  for (let run = 0; run < CLI_RUNS; run++) {
    commands.forEach((args, i) => {
      const started = process.hrtime.bigint();
      const result = spawnSync(process.execPath, [...args], { stdio: 'ignore' });
      times[i].push(Number(process.hrtime.bigint() - started) / 1e6);
      // diff and report exit 1 only when a budget has errors; this app's have none.
      if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
    });
  }
  return times.map((t) => ({ median: median(t), slowest: Math.max(...t) }));
}

/**
 * The budget of 1,000 consumers (980 services in 40 stacks, 20 functions): the bytes of the budget's own stack
 * template (its summary and a line per consumer, and its record) and of each consumer's record, and how long the
 * CLI's report and diff take on it.
 */
function scale(): string {
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js'))) return 'scale: skipped, the CLI is not compiled (npm run build)';
  const base = synthesizeScale(SCALE_CONSUMERS, 0);
  const head = synthesizeScale(SCALE_CONSUMERS, 3);
  try {
    const budgetTemplate = fs.statSync(path.join(base, 'ManyData.template.json')).size;
    const records = fs.readdirSync(base).filter((f) => f.startsWith('ManyServices') && f.endsWith('.template.json')).flatMap((f) => {
      const template = JSON.parse(fs.readFileSync(path.join(base, f), 'utf8'));
      return Object.values<{ Metadata?: Record<string, unknown> }>(template.Resources).flatMap((r) => (r.Metadata?.ConnectionBudget
        ? [JSON.stringify(r.Metadata.ConnectionBudget, null, 1).length] : []));
    });
    const recordBytes = records.reduce((n, b) => n + b, 0) / records.length;
    // A bare node start, measured in the same rounds, says how fast the host was meanwhile.
    const [report, diff, nodeStart] = processTimes([[CLI, 'report', base], [CLI, 'diff', '--base', base, '--head', head], ['-e', '0']]);
    return `scale (${SCALE_CONSUMERS} consumers, ${manyConsumersStacks(SCALE_CONSUMERS)} stacks): budget stack template ${budgetTemplate} bytes `
      + `(${(budgetTemplate / SCALE_CONSUMERS).toFixed(0)} bytes per consumer; quota ${TEMPLATE_BYTES_QUOTA}), each service's record ${recordBytes.toFixed(0)} bytes `
      + `in its own stack; CLI (median of ${CLI_RUNS} rounds, slowest round in brackets) report ${report.median.toFixed(0)} ms (${report.slowest.toFixed(0)}), `
      + `diff ${diff.median.toFixed(0)} ms (${diff.slowest.toFixed(0)}) (target < 1000 ms; a bare node start here ${nodeStart.median.toFixed(0)} ms, `
      + `diff ${(diff.median / nodeStart.median).toFixed(1)} times it: the host's speed changes by the hour, the ratio less)`;
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(head, { recursive: true, force: true });
  }
}

function suiteTime(): string {
  const started = Date.now();
  execFileSync('npx', ['jest', '--silent'], { cwd: path.join(__dirname, '..'), stdio: 'ignore' });
  return `test suite (npx jest, this machine): ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

console.log(allocationTime());
console.log(utilization());
console.log(synthOverhead());
console.log(wavesCredit());
console.log(scale());
if (!process.argv.includes('--skip-suite')) {
  console.log(suiteTime());
}
