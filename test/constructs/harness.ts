import { App, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds } from 'aws-cdk-lib';
import { ConnectionBudget, ConnectionBudgetProps, DatabaseTarget, EcsServiceConsumerOptions } from '../../lib';

/** A light app: database (and proxy) in stack 'Data', services in stack 'Services'. */
export interface Harness {
  readonly app: App;
  readonly data: Stack;
  readonly services: Stack;
  readonly vpc: ec2.Vpc;
  readonly database: rds.DatabaseInstance;
  readonly proxy?: rds.DatabaseProxy;
  readonly budget: ConnectionBudget;
  readonly cluster: ecs.Cluster;
  /** A Fargate service with one container, optionally autoscaled, registered with the budget. */
  service(name: string, shape: ServiceShape, options?: EcsServiceConsumerOptions): ecs.FargateService;
}

export interface ServiceShape {
  readonly desiredCount?: number;
  readonly maxCapacity?: number;
  readonly maxHealthyPercent?: number;
  readonly register?: boolean;
}

export interface HarnessOptions {
  readonly engine?: rds.IInstanceEngine;
  readonly instanceType?: ec2.InstanceType;
  /** max_connections in the parameter group; none when undefined. */
  readonly maxConnectionsParameter?: string;
  /** Further parameters of the parameter group. */
  readonly parameters?: Record<string, string>;
  /** Proxy MaxConnectionsPercent; no proxy when null. */
  readonly proxyPercent?: number | null;
  readonly budget?: Partial<ConnectionBudgetProps>;
}

export const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });

export function harness(options: HarnessOptions = {}): Harness {
  const app = new App();
  const data = new Stack(app, 'Data');
  const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const engine = options.engine ?? POSTGRES;
  const parameters = { ...options.parameters, ...(options.maxConnectionsParameter === undefined ? {} : { max_connections: options.maxConnectionsParameter }) };
  const parameterGroup = Object.keys(parameters).length === 0 ? undefined : new rds.ParameterGroup(data, 'Params', { engine, parameters });
  const database = new rds.DatabaseInstance(data, 'Db', {
    engine, vpc, parameterGroup, storageEncrypted: true,
    instanceType: options.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE),
  });
  const proxy = options.proxyPercent === null ? undefined
    : database.addProxy('Proxy', { vpc, secrets: [database.secret!], maxConnectionsPercent: options.proxyPercent });
  const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromInstance(database), proxy, ...options.budget });
  const services = new Stack(app, 'Services');
  const cluster = new ecs.Cluster(services, 'Cluster', { vpc });
  const service = (name: string, shape: ServiceShape, consumer?: EcsServiceConsumerOptions) => {
    const taskDefinition = new ecs.FargateTaskDefinition(services, `${name}Task`);
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const svc = new ecs.FargateService(services, name, {
      cluster, taskDefinition, desiredCount: shape.desiredCount ?? 1, maxHealthyPercent: shape.maxHealthyPercent, minHealthyPercent: 100,
    });
    if (shape.maxCapacity !== undefined) {
      svc.autoScaleTaskCount({ maxCapacity: shape.maxCapacity });
    }
    if (shape.register !== false) {
      budget.addEcsService(svc, consumer);
    }
    return svc;
  };
  return { app, data, services, vpc, database, proxy, budget, cluster, service };
}

/** The environment of the first container of the task definition of `service`, as synthesized. */
export function environmentOf(template: Record<string, any>, taskDefinitionId: string): Record<string, string> {
  const entry = Object.entries<any>(template.Resources).find(([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && id.startsWith(taskDefinitionId));
  if (!entry) throw new Error(`no task definition ${taskDefinitionId}`);
  return Object.fromEntries((entry[1].Properties.ContainerDefinitions[0].Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

/**
 * The synth errors of an app, one per line as CDK prints construct validation errors (`[path] message fix [ID]`),
 * including the budget's post-synthesis verification (a validation plugin, reported FATAL); [] when synth passes.
 */
export function synthErrors(app: App): string[] {
  try {
    app.synth();
    return [];
  } catch (e) {
    const message = (e as Error).message;
    if (message.startsWith('Validation failed with the following errors:')) {
      return message.split('\n').slice(1).map((l) => l.trim());
    }
    const fatal = pluginErrors(message);
    if (fatal.length === 0) throw e;
    return fatal;
  }
}

/** The verification plugin's FATAL violations in a validation report's text, as `[path] message fix [ID]`. */
export function pluginErrors(report: string): string[] {
  const found: string[] = [];
  // `   <construct path> <fqn>`: a path may hold spaces, the fqn does not.
  const block = /FATAL (.*) \(ConnectionBudgetVerification\)\n {3}(.+) \S+\n {3}Suggested fix: (.*)\n {3}Rule ConnectionBudgetVerification::(\S+)/g;
  for (const match of report.matchAll(block)) {
    found.push(`[${match[2]}] ${match[1]} ${match[3]} [${match[4]}]`);
  }
  return found;
}
