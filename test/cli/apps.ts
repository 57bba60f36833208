import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Stage, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';

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
