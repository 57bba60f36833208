import { Annotations, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  buildLedger,
  BudgetEvaluation,
  ConnectionShape,
  consumerLine,
  consumerMetadataKey,
  ConsumerInput,
  ConsumerKind,
  ConsumerShape,
  derivePoolSettings,
  EngineKind,
  evaluateBudget,
  formatProblem,
  LedgerJson,
  ledgerMetadataKey,
  PoolRequest,
  PoolSettings,
  presetProblems,
  presetVariables,
  PresetSpec,
  problemText,
  summaryLine,
  summaryMetadataKey,
  UnresolvedValue,
} from '../budget';
import { AppIndex } from '../private/app-index';
import { engineKindOf, gatherDatabaseFacts, PROXY_PORT, SUPPORTED_ENGINE_TYPES } from '../private/database-facts';
import { ecsTargetsOf, gatherEcsTaskFacts, targetSecurityGroups } from '../private/ecs-task-facts';
import { gatherEcsServiceFacts } from '../private/ecs-service-facts';
import { findUnbudgetedIngress, IngressTarget } from '../private/ingress';
import { gatherLambdaFacts } from '../private/lambda-facts';
import { describeNumber, isWholeNumber, wholeNumberProblem } from '../private/validation';
import {
  ConnectionReservation, ConsumerOptions, EcsServiceConsumerOptions, EcsTaskConsumerOptions, LambdaFunctionConsumerOptions,
} from './consumer-options';
import { DatabaseTarget } from './database-target';
import { PoolSettingsPreset } from './pool-settings-preset';
import { PoolSize } from './pool-size';

/** Properties of a {@link ConnectionBudget}. */
export interface ConnectionBudgetProps {
  /**
   * The database whose connections the budget divides.
   */
  readonly database: DatabaseTarget;

  /**
   * The RDS Proxy the consumers connect through. Its MaxConnectionsPercent, read from its target group,
   * sets the ceiling; consumers get ingress to it on the engine's port.
   *
   * @default - consumers connect to the database directly and get ingress to it
   */
  readonly proxy?: rds.DatabaseProxy;

  /**
   * The database's max_connections, when the app does not define it exactly. A lower value set in the
   * parameter group the database uses still wins.
   *
   * @default - max_connections from the parameter group the database uses; else the published default
   * for its class (Aurora) or a conservative estimate from its memory, with a CB-ESTIMATED-MAX-CONNECTIONS warning
   */
  readonly maxConnections?: number;

  /**
   * Connections kept free for named purposes (migrations, admin, BI tools); they come out of max_connections.
   *
   * @default - none
   */
  readonly reservations?: ConnectionReservation[];

  /**
   * Worst-case demand at or above this percentage of the ceiling raises the CB-NEAR-CAPACITY warning.
   *
   * @default 90
   */
  readonly warningThresholdPercent?: number;
}

/** Near the limit means 90 % of the ceiling unless the budget says otherwise (design.md §3). */
const DEFAULT_WARNING_THRESHOLD_PERCENT = 90;

/** Which budget set each variable of a container or function, so two budgets never overwrite each other's. */
const variableOwners = new WeakMap<object, Map<string, string>>();

/** Something that receives environment variables: a container or a Lambda function. */
interface EnvironmentHolder {
  readonly key: object;
  /** The stack whose template carries the variables. */
  readonly stack: Stack;
  readonly description: string;
  add(name: string, value: string): void;
}

/** What the budget remembers of a consumer until it computes. */
interface Registration {
  readonly path: string;
  readonly kind: ConsumerKind;
  readonly direct: boolean;
  readonly pool: PoolRequest;
  readonly connections: ConnectionShape;
  readonly options: ConsumerOptions;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  readonly preset: PresetSpec;
  readonly gather: (index: AppIndex) => { shape?: ConsumerShape; unbounded?: string; unresolved: readonly UnresolvedValue[] };
}

interface Computed {
  readonly evaluation: BudgetEvaluation;
  readonly settings: ReadonlyMap<string, PoolSettings>;
  readonly ledger: LedgerJson;
}

/**
 * A connection budget for one database (behind RDS Proxy or not): the consumers registered with it
 * get pool sizes derived from the budget as environment variables and ingress to the proxy or database,
 * and synth fails when their worst-case demand exceeds what the proxy and the database can hold.
 *
 * The budget is computed once, just before synthesis, from the L1 resources that deploy: the services'
 * deployment configuration and scalable targets, Lambda reserved concurrency, EventBridge task counts,
 * the proxy's target group and the database's parameter group.
 *
 * It is written into the templates' Metadata for review: a summary line and one line per consumer in
 * every stack involved (so `cdk diff` shows a budget change), and the full ledger, which the
 * connection-budget CLI reads, in the budget's own stack.
 */
export class ConnectionBudget extends Construct {
  private readonly engine: EngineKind;
  private readonly database: rds.IDatabaseInstance | rds.IDatabaseCluster;
  private readonly props: ConnectionBudgetProps;
  private readonly reservations: ConnectionReservation[] = [];
  private readonly registered: Registration[] = [];
  private deriveProxyPercent = false;
  private computed?: Computed;
  private computing = false;

  public constructor(scope: Construct, id: string, props: ConnectionBudgetProps) {
    super(scope, id);
    this.props = props;
    const database = props.database._instance ?? props.database._cluster!;
    this.database = database;
    const engineType = database.engine?.engineType;
    const engine = engineKindOf(engineType);
    const problems = propsProblems(props);
    if (!engine) {
      problems.push(engineType === undefined
        ? `the engine of '${database.node.path}' is unknown; pass engine when importing the database`
        : `engine '${engineType}' of '${database.node.path}' is not supported; supported: ${SUPPORTED_ENGINE_TYPES.join(', ')}`);
    }
    if (problems.length > 0) {
      throw this.error(`invalid properties:\n- ${problems.join('\n- ')}`);
    }
    this.engine = engine!;
    for (const reservation of props.reservations ?? []) {
      this.reserve(reservation);
    }
    this.node.addValidation({
      validate: () => this.compute().evaluation.problems.filter((p) => p.level === 'error').map(formatProblem),
    });
    const stack = Stack.of(this);
    this.addSummaryMetadata(stack);
    stack.addMetadata(ledgerMetadataKey(this.node.path), Lazy.any({ produce: () => this.compute().ledger }));
  }

  /**
   * Keeps connections free for a named purpose (migrations, admin, BI tools, another team's app). Its
   * clients get ingress to the proxy (throughProxy) or the database.
   */
  public addReservation(reservation: ConnectionReservation): void {
    const method = `addReservation('${reservation.name}')`;
    this.assertOpen(method);
    const problems = reservationProblems(reservation, this.reservations, this.props.proxy !== undefined);
    if (problems.length > 0) {
      throw this.error(`${method}: ${problems.join('; ')}.`);
    }
    this.reserve(reservation);
  }

  private reserve(reservation: ConnectionReservation): void {
    this.reservations.push(reservation);
    const description = `Reservation ${reservation.name} (connection budget ${this.node.path})`;
    for (const client of reservation.clients ?? []) {
      this.grantIngress(client, !reservation.throughProxy, description);
    }
  }

  /**
   * Registers an ECS service (FargateService, Ec2Service, or the `service` of an aws-ecs-patterns
   * construct) in any stack of the app. Its container gets the pool settings as environment variables
   * and it gets ingress to the proxy (or database) on the engine's port.
   */
  public addEcsService(service: ecs.BaseService, options: EcsServiceConsumerOptions = {}): void {
    const path = service.node.path;
    const method = `addEcsService('${path}')`;
    this.assertNew(method, path);
    this.assertOptions(method, options, [
      ['processesPerTask', options.processesPerTask, 1],
      ['maxTasks', options.maxTasks, 0],
    ]);
    const container = this.containerOf(service.taskDefinition, options.containerName, method);
    this.register(method, {
      path,
      kind: 'ecs-service',
      options,
      connections: connectionShape(options, options.processesPerTask),
      securityGroups: service.connections.securityGroups,
      gather: (index) => gatherEcsServiceFacts(service, options.maxTasks, index),
    }, containerHolder(container));
  }

  /**
   * Registers a standalone ECS task definition: a scheduled job (an EventBridge rule target, such as the
   * aws-ecs-patterns ScheduledFargateTask) or a task that Step Functions or RunTask starts. Its worst case is
   * maxConcurrentRuns × tasks per run × processes × pools. Register it after the rule that runs it.
   */
  public addEcsTask(taskDefinition: ecs.TaskDefinition, options: EcsTaskConsumerOptions): void {
    const path = taskDefinition.node.path;
    const method = `addEcsTask('${path}')`;
    this.assertNew(method, path);
    this.assertOptions(method, options, [
      ['maxConcurrentRuns', options.maxConcurrentRuns, 1],
      ['tasksPerRun', options.tasksPerRun, 1],
      ['processesPerTask', options.processesPerTask, 1],
    ]);
    const container = this.containerOf(taskDefinition, options.containerName, method);
    const index = options.securityGroups ? undefined : AppIndex.of(this);
    const securityGroups = options.securityGroups ?? targetSecurityGroups(ecsTargetsOf(taskDefinition, index!), index!);
    if (securityGroups.length === 0) {
      throw this.error(`${method}: no security group to grant ingress to: no EventBridge target in the app runs the task definition with one. `
        + 'Pass securityGroups (the ones its launcher uses), or register the task after the rule that runs it.');
    }
    this.register(method, {
      path,
      kind: 'ecs-task',
      options,
      connections: connectionShape(options, options.processesPerTask),
      securityGroups,
      gather: (index) => gatherEcsTaskFacts(taskDefinition, options.maxConcurrentRuns, options.tasksPerRun, index),
    }, containerHolder(container));
  }

  /**
   * Registers a Lambda function in a VPC. Its worst case is its reserved concurrency × pools × pool size
   * (one execution environment per concurrent request, each with its own pools); a function without
   * reserved concurrency fails synth with CB-UNBOUNDED-LAMBDA.
   */
  public addLambdaFunction(fn: lambda.Function, options: LambdaFunctionConsumerOptions = {}): void {
    const path = fn.node.path;
    const method = `addLambdaFunction('${path}')`;
    this.assertNew(method, path);
    this.assertOptions(method, options, [['maxConcurrency', options.maxConcurrency, 0]]);
    if (!fn.isBoundToVpc) {
      throw this.error(`${method}: the function is not in a VPC, so it cannot reach the proxy or database; pass vpc to the function.`);
    }
    this.register(method, {
      path,
      kind: 'lambda-function',
      options: { ...options, pool: options.pool ?? PoolSize.fixed(1) },
      connections: connectionShape(options, 1),
      securityGroups: fn.connections.securityGroups,
      gather: () => gatherLambdaFacts(fn, options.maxConcurrency),
    }, {
      key: fn,
      stack: Stack.of(fn),
      description: `function '${path}'`,
      add: (name, value) => fn.addEnvironment(name, value),
    });
  }

  /**
   * Lets the budget derive the proxy's MaxConnectionsPercent instead of reading it from the template;
   * BudgetedDatabase writes the derived value back into the proxy's target group.
   * @internal
   */
  public _deriveProxyMaxConnectionsPercent(): void {
    this.deriveProxyPercent = true;
  }

  /**
   * The database (instance or cluster) and the proxy the budget divides, for monitoring.
   * @internal
   */
  public _target(): { instance?: rds.IDatabaseInstance; cluster?: rds.IDatabaseCluster; proxy?: rds.DatabaseProxy } {
    return { instance: this.props.database._instance, cluster: this.props.database._cluster, proxy: this.props.proxy };
  }

  /**
   * The evaluated budget (computed on first use, just before synthesis).
   * @internal
   */
  public _evaluation(): BudgetEvaluation {
    return this.compute().evaluation;
  }

  private register(method: string, registration: Omit<Registration, 'direct' | 'pool' | 'preset'>, holder: EnvironmentHolder): void {
    const options = registration.options;
    const pool = (options.pool ?? PoolSize.share())._request;
    const direct = options.bypassProxy === true;
    if (direct && !this.props.proxy) {
      throw this.error(`${method}: bypassProxy is set, but the budget has no proxy; every consumer already connects directly.`);
    }
    if (direct && pool.kind !== 'fixed') {
      throw this.error(`${method}: a consumer that bypasses the proxy needs a fixed pool (PoolSize.fixed), because its worst case is kept out of max_connections before the proxy's share is derived.`);
    }
    const preset = presetOf(options);
    this.deliver(method, registration.path, preset, holder);
    const description = `Connections from ${registration.path} (connection budget ${this.node.path})`;
    for (const group of registration.securityGroups) {
      this.grantIngress(group, direct, description);
    }
    this.registered.push({ ...registration, direct, pool, preset });
    this.addConsumerMetadata(holder.stack, registration.path);
  }

  /**
   * The reviewer's lines in a stack's template Metadata: the budget's summary, and one line per consumer
   * of the budget in that stack, so `cdk diff` shows a budget change beside the env var change.
   */
  private addSummaryMetadata(stack: Stack): void {
    const key = summaryMetadataKey(this.node.path);
    if (stack.templateOptions.metadata?.[key] === undefined) {
      stack.addMetadata(key, Lazy.string({ produce: () => summaryLine(this.compute().ledger) }));
    }
  }

  private addConsumerMetadata(stack: Stack, path: string): void {
    this.addSummaryMetadata(stack);
    stack.addMetadata(consumerMetadataKey(this.node.path, path), Lazy.string({
      produce: () => consumerLine(this.compute().ledger.consumers.find((c) => c.path === path)!),
    }));
  }

  private deliver(method: string, path: string, preset: PresetSpec, holder: EnvironmentHolder): void {
    const owners = variableOwners.get(holder.key) ?? new Map<string, string>();
    const variables = presetVariables(preset);
    for (const variable of variables) {
      const taken = owners.get(variable.name);
      if (taken !== undefined) {
        throw this.error(`${method}: ${holder.description} already receives ${variable.name} from budget '${taken}'; pass a poolSettings preset with another prefix or variable.`);
      }
    }
    for (const variable of variables) {
      owners.set(variable.name, this.node.path);
      holder.add(variable.name, Lazy.string({ produce: () => variable.render(this.settingsOf(path)) }));
    }
    variableOwners.set(holder.key, owners);
  }

  private assertOpen(method: string): void {
    if (this.computed || this.computing) {
      throw this.error(`${method} was called after the budget was computed for synthesis; register every consumer while building the app.`);
    }
  }

  private assertNew(method: string, path: string): void {
    this.assertOpen(method);
    if (this.registered.some((r) => r.path === path)) {
      throw this.error(`${method}: the consumer is already registered with this budget.`);
    }
  }

  private assertOptions(method: string, options: ConsumerOptions, counts: ReadonlyArray<[name: string, value: number | undefined, min: number]>): void {
    const problems = consumerOptionProblems(options, counts);
    if (problems.length === 0) {
      problems.push(...presetProblems(presetOf(options), options.overflowPerPool ?? 0));
    }
    if (problems.length > 0) {
      throw this.error(`${method}: invalid options:\n- ${problems.join('\n- ')}`);
    }
  }

  private containerOf(taskDefinition: ecs.TaskDefinition, containerName: string | undefined, method: string): ecs.ContainerDefinition {
    if (containerName !== undefined) {
      const named = taskDefinition.findContainer(containerName);
      if (!named) {
        throw this.error(`${method}: the task definition '${taskDefinition.node.path}' has no container named '${containerName}'.`);
      }
      return named;
    }
    if (!taskDefinition.defaultContainer) {
      throw this.error(`${method}: the task definition '${taskDefinition.node.path}' has no container yet; add its containers before registering, or pass containerName.`);
    }
    return taskDefinition.defaultContainer;
  }

  /** The proxy (or, for direct clients and budgets without a proxy, the database) and the port clients connect to. */
  private entryPoint(direct: boolean): { target: ec2.IConnectable; port: ec2.Port } {
    if (this.props.proxy && !direct) {
      return { target: this.props.proxy, port: ec2.Port.tcp(PROXY_PORT[this.engine]) };
    }
    return { target: this.database, port: this.database.connections.defaultPort! };
  }

  /** Ingress from a client to the proxy or the database, on the port it listens on. */
  private grantIngress(client: ec2.IConnectable, direct: boolean, description: string): void {
    const { target, port } = this.entryPoint(direct);
    // Security group rule descriptions allow no quotes.
    const text = description.replace(/['"]/g, '');
    const { groups, addresses } = splitClient(client);
    const peers: ec2.IPeer[] = [...groups, ...addresses];
    for (const group of target.connections.securityGroups) {
      for (const peer of peers) {
        // A remote rule lives in the peer's stack when the stacks differ, so a budget in a data
        // stack never depends on the service stacks (the reverse dependency already exists).
        group.addIngressRule(peer, port, text, true);
        if (ec2.SecurityGroup.isSecurityGroup(peer) && !peer.allowAllOutbound) {
          peer.addEgressRule(group, port, text);
        }
      }
    }
  }

  private settingsOf(path: string): PoolSettings {
    return this.compute().settings.get(path)!;
  }

  /** Gathers every input from the app and evaluates the budget, once. */
  private compute(): Computed {
    if (this.computed) {
      return this.computed;
    }
    if (this.computing) {
      throw this.error('the budget was needed while it was being computed; a value it reads depends on its own pool settings.');
    }
    this.computing = true;
    try {
      this.computed = this.evaluate();
      return this.computed;
    } finally {
      this.computing = false;
    }
  }

  private evaluate(): Computed {
    const index = AppIndex.of(this);
    const database = gatherDatabaseFacts({
      engine: this.engine,
      database: { instance: this.props.database._instance, cluster: this.props.database._cluster },
      proxy: this.props.proxy,
      deriveProxyPercent: this.deriveProxyPercent,
      maxConnections: this.props.maxConnections,
      reservations: this.reservations.map(({ name, connections, throughProxy }) => ({ name, connections, throughProxy: throughProxy === true })),
    }, index);
    const consumers: ConsumerInput[] = this.registered.map((r) => {
      const facts = r.gather(index);
      return {
        path: r.path,
        kind: r.kind,
        shape: facts.shape,
        unbounded: facts.unbounded,
        connections: r.connections,
        pool: r.pool,
        route: r.direct ? 'direct' : 'proxy',
        unresolved: facts.unresolved,
      };
    });
    const evaluation = evaluateBudget({
      path: this.node.path,
      capacity: database.capacity,
      consumers,
      warningThresholdPercent: this.props.warningThresholdPercent ?? DEFAULT_WARNING_THRESHOLD_PERCENT,
      unresolved: database.unresolved,
      unbudgetedIngress: findUnbudgetedIngress(this.ingressTargets(), {
        securityGroups: [
          ...this.registered.flatMap((r) => r.securityGroups),
          ...this.reservationClients().flatMap((c) => c.groups),
          ...(this.props.proxy?.connections.securityGroups ?? []),
        ],
        peers: this.reservationClients().flatMap((c) => c.addresses),
      }, index),
    });
    const settings = new Map(this.registered.map((r) => {
      const result = evaluation.consumers.find((c) => c.input.path === r.path)!;
      return [r.path, derivePoolSettings({
        poolSize: result.poolSize,
        overflowPerPool: result.input.connections.overflowPerPool,
        minIdle: r.options.minIdleConnections,
        acquireTimeoutMs: r.options.acquireTimeout?.toMilliseconds(),
        proxyIdleClientTimeoutSeconds: r.direct ? undefined : database.proxyIdleClientTimeoutSeconds,
      })] as const;
    }));
    const acknowledged = new Set<string>();
    for (const warning of evaluation.problems.filter((p) => p.level === 'warning')) {
      // addWarningV2 records nothing for an acknowledged ID; that is the only public trace of the acknowledgement.
      const recorded = this.node.metadata.length;
      Annotations.of(this).addWarningV2(warning.id, problemText(warning));
      if (this.node.metadata.length === recorded) {
        acknowledged.add(warning.id);
      }
    }
    const pools = new Map(this.registered.map((r) => [r.path, { preset: r.preset, settings: settings.get(r.path)! }] as const));
    return { evaluation, settings, ledger: buildLedger(evaluation, pools, acknowledged) };
  }

  private reservationClients(): ClientSources[] {
    return this.reservations.flatMap((r) => (r.clients ?? []).map(splitClient));
  }

  /** The proxy and the database: only budgeted clients may reach them. */
  private ingressTargets(): IngressTarget[] {
    const targets: IngressTarget[] = [];
    if (this.props.proxy) {
      targets.push({ path: this.props.proxy.node.path, groups: this.props.proxy.connections.securityGroups, port: PROXY_PORT[this.engine] });
    }
    const port = this.database.connections.defaultPort?.toRuleJson().fromPort;
    targets.push({
      path: this.database.node.path,
      groups: this.database.connections.securityGroups,
      port: typeof port === 'number' && !Token.isUnresolved(port) ? port : undefined,
    });
    return targets;
  }

  private error(message: string): Error {
    return new Error(`ConnectionBudget '${this.node.path}': ${message}`);
  }
}

function containerHolder(container: ecs.ContainerDefinition): EnvironmentHolder {
  return {
    key: container,
    stack: Stack.of(container.taskDefinition),
    description: `container '${container.containerName}' of '${container.taskDefinition.node.path}'`,
    add: (name, value) => container.addEnvironment(name, value),
  };
}

function presetOf(options: ConsumerOptions): PresetSpec {
  return (options.poolSettings ?? PoolSettingsPreset.generic())._spec;
}

function connectionShape(options: ConsumerOptions, processes: number | undefined): ConnectionShape {
  return { processes: processes ?? 1, poolsPerProcess: options.poolsPerProcess ?? 1, overflowPerPool: options.overflowPerPool ?? 0 };
}

/** What a client connects from: security groups, or an address peer (a CIDR range, a prefix list). */
interface ClientSources {
  readonly groups: readonly ec2.ISecurityGroup[];
  readonly addresses: readonly ec2.IPeer[];
}

function splitClient(client: ec2.IConnectable): ClientSources {
  const isAddress = typeof (client as Partial<ec2.IPeer>).toIngressRuleConfig === 'function' && !ec2.SecurityGroup.isSecurityGroup(client);
  return isAddress ? { groups: [], addresses: [client as ec2.IPeer] } : { groups: client.connections.securityGroups, addresses: [] };
}

function propsProblems(props: ConnectionBudgetProps): string[] {
  const problems: string[] = [];
  problems.push(...wholeNumberProblem('maxConnections', props.maxConnections, 1));
  const threshold = props.warningThresholdPercent;
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold > 0 && threshold <= 100)) {
    problems.push(`warningThresholdPercent must be above 0 and at most 100, got ${describeNumber(threshold)}`);
  }
  const reservations = props.reservations ?? [];
  reservations.forEach((reservation, i) => problems.push(...reservationProblems(reservation, reservations.slice(0, i), props.proxy !== undefined)));
  return problems;
}

function reservationProblems(reservation: ConnectionReservation, existing: readonly ConnectionReservation[], hasProxy: boolean): string[] {
  const problems: string[] = [];
  if (reservation.name.trim() === '') {
    problems.push('every reservation needs a name');
  } else if (existing.some((r) => r.name === reservation.name)) {
    problems.push(`reservation '${reservation.name}' is declared twice`);
  }
  if (!isWholeNumber(reservation.connections, 0)) {
    problems.push(`reservation '${reservation.name}' must keep a whole number of connections of at least 0, got ${describeNumber(reservation.connections)}`);
  }
  if (reservation.throughProxy && !hasProxy) {
    problems.push(`reservation '${reservation.name}' is throughProxy, but the budget has no proxy`);
  }
  return problems;
}

function consumerOptionProblems(options: ConsumerOptions, counts: ReadonlyArray<[name: string, value: number | undefined, min: number]>): string[] {
  const problems: string[] = [];
  for (const [name, value, min] of [
    ...counts,
    ['poolsPerProcess', options.poolsPerProcess, 1],
    ['overflowPerPool', options.overflowPerPool, 0],
    ['minIdleConnections', options.minIdleConnections, 0],
  ] as const) {
    problems.push(...wholeNumberProblem(name, value, min));
  }
  const timeout = options.acquireTimeout;
  if (timeout?.isUnresolved()) {
    problems.push('acquireTimeout must be a literal duration, got a token');
  } else if (timeout !== undefined && timeout.toMilliseconds() <= 0) {
    problems.push(`acquireTimeout must be longer than 0, got ${timeout.toHumanString()}`);
  }
  return problems;
}
