#!/usr/bin/env node
// The library's cost, measured: `npm run bench` (npx ts-node --transpile-only bench/run.ts [--skip-suite]).
// Prints four figures: synth overhead of the budget on a 220-consumer app, allocation time for 10,000
// consumers, how much of the ceiling derived pools use, and the test suite's wall time. Figures, not tests:
// nothing here fails a build.
import { execFileSync } from 'child_process';
import * as path from 'path';
import { App, Duration, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds } from 'aws-cdk-lib';
import { BudgetedDatabase, PoolSize } from '../lib';
import { allocate, AllocationRequest, evaluateBudget, PoolRequest } from '../lib/budget';

const SERVICE_STACKS = 8;
const SERVICES_PER_STACK = 25;
const LAMBDA_FUNCTIONS = 20;
const MAX_CONNECTIONS = 5000;
const SYNTH_RUNS = 9;
const ALLOCATION_CONSUMERS = 10_000;
const ALLOCATION_RUNS = 7;
const UTILIZATION_CASES = 2_000;
/** The variables the budget delivers to each consumer; the plain variant writes the same ones by hand. */
const POOL_VARIABLES = ['DB_POOL_MAX', 'DB_POOL_MIN', 'DB_POOL_MAX_OVERFLOW', 'DB_POOL_ACQUIRE_TIMEOUT_MS', 'DB_POOL_IDLE_TIMEOUT_MS', 'DB_POOL_MAX_LIFETIME_MS'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The app of test/apps/many-consumers.ts (200 ECS services in 8 stacks, 20 functions), built with the budget
 * or identically without it: the same database, parameter group and proxy, the pool variables hard-coded,
 * and the same ingress granted by hand.
 */
function buildApp(withBudget: boolean): App {
  const app = new App();
  const data = new Stack(app, 'ManyData');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
  const instanceType = ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.XLARGE4);
  let grant: (consumer: ec2.IConnectable) => void;
  let registerService: (service: ecs.FargateService, container: ecs.ContainerDefinition, i: number) => void;
  let registerFunction: (fn: lambda.Function) => void;
  if (withBudget) {
    const database = new BudgetedDatabase(data, 'Database', { vpc, instanceEngine: engine, instanceType, maxConnections: MAX_CONNECTIONS });
    grant = () => undefined;
    registerService = (service, _container, i) => database.budget.addEcsService(service, { pool: i % 2 === 0 ? PoolSize.fixed(2) : PoolSize.share({ max: 4 }) });
    registerFunction = (fn) => database.budget.addLambdaFunction(fn);
  } else {
    const parameterGroup = new rds.ParameterGroup(data, 'Parameters', { engine, parameters: { max_connections: String(MAX_CONNECTIONS) } });
    const instance = new rds.DatabaseInstance(data, 'Instance', { engine, instanceType, vpc, parameterGroup, storageEncrypted: true });
    const proxy = instance.addProxy('Proxy', { vpc, secrets: [instance.secret!], maxConnectionsPercent: 99 });
    // As the budget grants it: a rule in the consumer's stack (a rule in the data stack would make a cycle).
    grant = (consumer) => proxy.connections.securityGroups.forEach((group) => consumer.connections.securityGroups
      .forEach((peer) => group.addIngressRule(peer, ec2.Port.tcp(5432), 'Connections to the proxy', true)));
    registerService = (service, container) => {
      POOL_VARIABLES.forEach((name) => container.addEnvironment(name, '2'));
      grant(service);
    };
    registerFunction = (fn) => {
      POOL_VARIABLES.forEach((name) => fn.addEnvironment(name, '1'));
      grant(fn);
    };
  }
  const cluster = new ecs.Cluster(data, 'Cluster', { vpc });
  for (let s = 0; s < SERVICE_STACKS; s++) {
    const stack = new Stack(app, `ManyServices${s}`);
    for (let i = 0; i < SERVICES_PER_STACK; i++) {
      const taskDefinition = new ecs.FargateTaskDefinition(stack, `Task${i}`);
      const container = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
      const service = new ecs.FargateService(stack, `Service${i}`, { cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 });
      service.autoScaleTaskCount({ maxCapacity: 2 + (i % 3) });
      registerService(service, container, i);
    }
  }
  const functions = new Stack(app, 'ManyFunctions');
  for (let i = 0; i < LAMBDA_FUNCTIONS; i++) {
    registerFunction(new lambda.Function(functions, `Function${i}`, {
      runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      vpc, timeout: Duration.seconds(10), reservedConcurrentExecutions: 5,
    }));
  }
  return app;
}

function timeSynth(withBudget: boolean): number {
  const started = process.hrtime.bigint();
  buildApp(withBudget).synth();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function synthOverhead(): string {
  timeSynth(true); // warm-up: module loading and JIT, for both variants alike
  timeSynth(false);
  const withBudget: number[] = [];
  const without: number[] = [];
  for (let run = 0; run < SYNTH_RUNS; run++) {
    // Alternate, so a slow moment of the machine falls on both variants.
    withBudget.push(timeSynth(true));
    without.push(timeSynth(false));
  }
  const ratio = median(withBudget) / median(without);
  return `synth overhead (${SERVICE_STACKS * SERVICES_PER_STACK + LAMBDA_FUNCTIONS} consumers, ${SERVICE_STACKS + 2} stacks, median of ${SYNTH_RUNS}): `
    + `${median(withBudget).toFixed(0)} ms with the budget, ${median(without).toFixed(0)} ms without; ratio ${ratio.toFixed(3)} (target ≤ 1.05)`;
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

function suiteTime(): string {
  const started = Date.now();
  execFileSync('npx', ['jest', '--silent'], { cwd: path.join(__dirname, '..'), stdio: 'ignore' });
  return `test suite (npx jest, this machine): ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

console.log(allocationTime());
console.log(utilization());
console.log(synthOverhead());
if (!process.argv.includes('--skip-suite')) {
  console.log(suiteTime());
}
