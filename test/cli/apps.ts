import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Stage, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { allocationParameterName } from '../../lib/budget';

/** The parts of the sample app a test may change before it synthesizes. */
export interface SampleParts {
  readonly app: App;
  readonly data: Stack;
  readonly web: Stack;
  readonly jobs: Stack;
  readonly vpc: ec2.Vpc;
  readonly budget: ConnectionBudget;
  readonly cluster: ecs.Cluster;
  readonly api: ecs.FargateService;
  readonly worker: ecs.FargateService;
}

export interface SampleOptions {
  /** max_connections in the parameter group. @default 1000 */
  readonly maxConnections?: number;
  /** The autoscaling maximum of Web/Api. @default 10 */
  readonly apiMaxTasks?: number;
  /** The database engine. @default PostgreSQL 16 */
  readonly engine?: rds.IInstanceEngine;
  /** Builds the stacks inside a Stage of this name (a nested cloud assembly). @default - at the app's top */
  readonly stage?: string;
  /** Synthesize even when the budget fails (its checks are skipped, its verification reports and the assembly stays). */
  readonly allowErrors?: boolean;
  /** The app's context (`-c key=value`). @default - none */
  readonly context?: Record<string, unknown>;
  /** Changes made to the app before synthesis. */
  readonly change?: (parts: SampleParts) => void;
}

const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });

/**
 * The sample budget in small, as a real app synthesized into a fresh directory: max_connections 1000 (or maxConnections) in
 * the parameter group, a proxy at 50 % (ceiling 500 − 5 = 495), 10 connections reserved for migrations; Web/Api (pool 10, 1 task,
 * autoscaling up to apiMaxTasks) and Jobs/Worker (2 tasks, pool 5 + overflow 2). Returns the assembly directory.
 */
export function synthSample(options: SampleOptions = {}): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-budget-app-'));
  const app = new App({ outdir, context: options.context });
  const scope: Construct = options.stage ? new Stage(app, options.stage) : app;
  const engine = options.engine ?? POSTGRES;
  const data = new Stack(scope, 'Data');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const parameterGroup = new rds.ParameterGroup(data, 'Params', { engine, parameters: { max_connections: String(options.maxConnections ?? 1000) } });
  const database = new rds.DatabaseInstance(data, 'Db', { engine, vpc, parameterGroup, storageEncrypted: true });
  const proxy = database.addProxy('Proxy', { vpc, secrets: [database.secret!], maxConnectionsPercent: 50 });
  const budget = new ConnectionBudget(data, 'Budget', {
    database: DatabaseTarget.fromInstance(database), proxy, reservations: [{ name: 'migrations', connections: 10 }],
  });
  const web = new Stack(scope, 'Web');
  const jobs = new Stack(scope, 'Jobs');
  const cluster = new ecs.Cluster(web, 'Cluster', { vpc });
  const service = (stack: Stack, name: string, desiredCount: number) => {
    const taskDefinition = new ecs.FargateTaskDefinition(stack, `${name}Task`);
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    return new ecs.FargateService(stack, name, { cluster, taskDefinition, desiredCount, minHealthyPercent: 100 });
  };
  const api = service(web, 'Api', 1);
  api.autoScaleTaskCount({ maxCapacity: options.apiMaxTasks ?? 10 });
  budget.addEcsService(api, { pool: PoolSize.fixed(10) });
  const worker = service(jobs, 'Worker', 2);
  budget.addEcsService(worker, { pool: PoolSize.fixed(5), overflowPerPool: 2 });
  options.change?.({ app, data, web, jobs, vpc, budget, cluster, api, worker });
  try {
    app.synth({ skipValidation: options.allowErrors === true });
  } catch (e) {
    // The verification fails after the templates are written: the assembly is what a failing synth leaves.
    if (!options.allowErrors) throw e;
  }
  return outdir;
}

/** The sample app granting the allocation 'orders' from its budget 'Data/Budget': the owning app. Returns the assembly directory. */
export function synthOwner(connections: number): string {
  return synthSample({ change: ({ budget }) => budget.addAllocation({ name: 'orders', connections }) });
}

/** How a team's budget gets the allocation 'orders' of 'Data/Budget'. */
export interface TeamOptions {
  /** Builds the stack inside a Stage of this name (a nested cloud assembly). @default - at the app's top */
  readonly stage?: string;
  /**
   * Looks the record up in SSM in account 333333333333, eu-west-1, instead of taking attributes: with the record of this many connections
   * cached in the app's context, as cdk.context.json holds it after a synth with credentials; 'pending' before CDK has looked it up.
   * @default - given as attributes, 120 connections
   */
  readonly lookup?: number | 'pending';
}

/** The account and region a looked-up team's stack deploys to, where CDK reads the allocation record. */
export const TEAM_ENV = { account: '333333333333', region: 'eu-west-1' } as const;

/** The record the owning sample publishes for the allocation 'orders', with `connections` (and `changes`), as SSM holds it. */
export function ordersRecord(connections: number, changes: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1, kind: 'connection-budget-allocation', budgetPath: 'Data/Budget', allocation: 'orders', connections, engine: 'rds-postgresql',
    proxyEndpoint: 'proxy.example', port: 5432, databaseName: 'postgres', clientSecurityGroupId: 'sg-0123456789abcdef0', secretArn: null,
    proxyIdleClientTimeoutSeconds: 1800, ...changes,
  });
}

/**
 * A team's app with a budget built from the allocation 'orders' of 'Data/Budget', given as attributes (120 connections) in an
 * environment-agnostic stack, or looked up (options.lookup): Orders/Api, 5 tasks × 200 % surge = 10 tasks × pool 10, a worst case of 100.
 * A pending lookup fails its budget (CB-ALLOCATION-NOT-LOOKED-UP); the assembly is what that synth leaves. Returns the assembly directory.
 */
export function synthTeam(options: TeamOptions = {}): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-budget-team-'));
  const parameterName = allocationParameterName('Data/Budget', 'orders');
  const cached = typeof options.lookup === 'number'
    ? { [`ssm:account=${TEAM_ENV.account}:parameterName=${parameterName}:region=${TEAM_ENV.region}`]: ordersRecord(options.lookup) }
    : {};
  const app = new App({ outdir, context: cached });
  const scope: Construct = options.stage ? new Stage(app, options.stage) : app;
  const stack = new Stack(scope, 'Orders', { env: options.lookup === undefined ? undefined : TEAM_ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const budget = ConnectionBudget.fromAllocation(stack, 'Budget', {
    owningBudgetPath: 'Data/Budget',
    allocationName: 'orders',
    attributes: options.lookup === undefined
      ? { connections: 120, engine: 'rds-postgresql', proxyEndpoint: 'proxy.example', clientSecurityGroupId: 'sg-0123456789abcdef0' }
      : undefined,
  });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'ApiTask');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/orders:1') });
  const service = new ecs.FargateService(stack, 'Api', { cluster, taskDefinition, desiredCount: 5, minHealthyPercent: 100 });
  budget.addEcsService(service, { pool: PoolSize.fixed(10) });
  try {
    app.synth();
  } catch (e) {
    if (options.lookup !== 'pending') throw e;
  }
  return outdir;
}
