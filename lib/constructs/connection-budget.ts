import { Annotations, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds, Duration, Lazy, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  BudgetEvaluation,
  ConsumerInput,
  derivePoolSettings,
  EngineKind,
  evaluateBudget,
  formatProblem,
  PoolSettings,
  problemText,
} from '../budget';
import { AppIndex } from '../private/app-index';
import { engineKindOf, gatherDatabaseFacts, PROXY_PORT, SUPPORTED_ENGINE_TYPES } from '../private/database-facts';
import { gatherEcsServiceFacts } from '../private/ecs-service-facts';
import { DatabaseTarget } from './database-target';
import { PoolSize } from './pool-size';

/** Connections kept free on purpose: migrations, admin sessions, BI tools. */
export interface ConnectionReservation {
  /**
   * What the connections are for; shown in messages.
   */
  readonly name: string;

  /**
   * How many connections to keep free.
   */
  readonly connections: number;
}

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

/** How an ECS service uses its database connections. */
export interface EcsServiceConsumerOptions {
  /**
   * The size of each connection pool.
   *
   * @default PoolSize.share() - a share of what fixed pools leave, weight 1, between 1 and 20
   */
  readonly pool?: PoolSize;

  /**
   * Processes per task that each open their own pools: gunicorn or Puma workers, node cluster workers.
   *
   * @default 1
   */
  readonly processesPerTask?: number;

  /**
   * Pools per process: Rails primary/cache/queue databases, a second DataSource.
   *
   * @default 1
   */
  readonly poolsPerProcess?: number;

  /**
   * Connections each pool may open beyond its maximum (SQLAlchemy max_overflow); counted in the worst case.
   *
   * @default 0
   */
  readonly overflowPerPool?: number;

  /**
   * The most tasks the service can run, for when the template's desired count or autoscaling maximum is
   * a token (or the service is a DAEMON). Where the template gives a number too, the larger one counts.
   *
   * @default - the larger of the service's desired count and its autoscaling maximum
   */
  readonly maxTasks?: number;

  /**
   * The container that receives the pool settings as environment variables.
   *
   * @default - the task definition's default container
   */
  readonly containerName?: string;

  /**
   * Prefix of the environment variable names: `<prefix>_MAX`, `<prefix>_MIN` and so on. Change it when a
   * service uses two budgets.
   *
   * @default 'DB_POOL'
   */
  readonly environmentVariablePrefix?: string;

  /**
   * Connections each pool keeps open while idle; low, so a deploy does not open every pool at once.
   *
   * @default 1
   */
  readonly minIdleConnections?: number;

  /**
   * How long a request waits for a pooled connection before it fails.
   *
   * @default Duration.seconds(30)
   */
  readonly acquireTimeout?: Duration;
}

/** The default prefix of the pool settings' environment variables. */
const DEFAULT_ENVIRONMENT_VARIABLE_PREFIX = 'DB_POOL';

/** Environment variable name suffixes, one per pool setting. */
const ENVIRONMENT_VARIABLES: ReadonlyArray<[suffix: string, setting: keyof PoolSettings]> = [
  ['MAX', 'maxSize'],
  ['MIN', 'minIdle'],
  ['MAX_OVERFLOW', 'maxOverflow'],
  ['ACQUIRE_TIMEOUT_MS', 'acquireTimeoutMs'],
  ['IDLE_TIMEOUT_MS', 'idleTimeoutMs'],
  ['MAX_LIFETIME_MS', 'maxLifetimeMs'],
];

/** Near the limit means 90 % of the ceiling unless the budget says otherwise (design.md §3). */
const DEFAULT_WARNING_THRESHOLD_PERCENT = 90;

/** Which budget set each pool variable of a container, so two budgets never overwrite each other's. */
const variableOwners = new WeakMap<ecs.ContainerDefinition, Map<string, string>>();

interface RegisteredEcsService {
  readonly service: ecs.BaseService;
  readonly options: EcsServiceConsumerOptions;
}

interface Computed {
  readonly evaluation: BudgetEvaluation;
  readonly settings: ReadonlyMap<string, PoolSettings>;
}

/**
 * A connection budget for one database (behind RDS Proxy or not): the consumers registered with it
 * get pool sizes derived from the budget as environment variables and ingress to the proxy or database,
 * and synth fails when their worst-case demand exceeds what the proxy and the database can hold.
 *
 * The budget is computed once, just before synthesis, from the L1 resources that deploy: the services'
 * deployment configuration and scalable targets, the proxy's target group and the database's parameter group.
 */
export class ConnectionBudget extends Construct {
  private readonly engine: EngineKind;
  private readonly database: rds.IDatabaseInstance | rds.IDatabaseCluster;
  private readonly props: ConnectionBudgetProps;
  private readonly registered: RegisteredEcsService[] = [];
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
    this.node.addValidation({
      validate: () => this.compute().evaluation.problems.filter((p) => p.level === 'error').map(formatProblem),
    });
  }

  /**
   * Registers an ECS service (FargateService, Ec2Service, or the `service` of an aws-ecs-patterns
   * construct) in any stack of the app. Its container gets the pool settings as environment variables
   * and it gets ingress to the proxy (or database) on the engine's port.
   */
  public addEcsService(service: ecs.BaseService, options: EcsServiceConsumerOptions = {}): void {
    const method = `addEcsService('${service.node.path}')`;
    if (this.computed || this.computing) {
      throw this.error(`${method} was called after the budget was computed for synthesis; register every consumer while building the app.`);
    }
    if (this.registered.some((r) => r.service === service)) {
      throw this.error(`${method}: the service is already registered with this budget.`);
    }
    const problems = consumerOptionProblems(options);
    if (problems.length > 0) {
      throw this.error(`${method}: invalid options:\n- ${problems.join('\n- ')}`);
    }
    const container = this.containerOf(service, options.containerName, method);
    const prefix = options.environmentVariablePrefix ?? DEFAULT_ENVIRONMENT_VARIABLE_PREFIX;
    const owners = variableOwners.get(container) ?? new Map<string, string>();
    const taken = owners.get(`${prefix}_MAX`);
    if (taken !== undefined) {
      throw this.error(`${method}: container '${container.containerName}' already receives ${prefix}_* from budget '${taken}'; pass another environmentVariablePrefix.`);
    }
    for (const [suffix, setting] of ENVIRONMENT_VARIABLES) {
      owners.set(`${prefix}_${suffix}`, this.node.path);
      container.addEnvironment(`${prefix}_${suffix}`, Lazy.string({ produce: () => String(this.settingsOf(service)[setting]) }));
    }
    variableOwners.set(container, owners);
    this.grantIngress(service);
    this.registered.push({ service, options });
  }

  private containerOf(service: ecs.BaseService, containerName: string | undefined, method: string): ecs.ContainerDefinition {
    const taskDefinition = service.taskDefinition;
    if (containerName !== undefined) {
      const named = taskDefinition.findContainer(containerName);
      if (!named) {
        throw this.error(`${method}: the task definition '${taskDefinition.node.path}' has no container named '${containerName}'.`);
      }
      return named;
    }
    if (!taskDefinition.defaultContainer) {
      throw this.error(`${method}: the task definition '${taskDefinition.node.path}' has no container yet; add its containers before registering the service, or pass containerName.`);
    }
    return taskDefinition.defaultContainer;
  }

  /** Ingress to the proxy on the engine's port, or to the database on its port. */
  private grantIngress(service: ecs.BaseService): void {
    // Security group rule descriptions allow no quotes.
    const description = `Connections from ${service.node.path} (connection budget ${this.node.path})`;
    const target = this.props.proxy ?? this.database;
    const port = this.props.proxy ? ec2.Port.tcp(PROXY_PORT[this.engine]) : target.connections.defaultPort!;
    for (const group of target.connections.securityGroups) {
      for (const peer of service.connections.securityGroups) {
        // A remote rule lives in the peer's stack when the stacks differ, so a budget in a data
        // stack never depends on the service stacks (the reverse dependency already exists).
        group.addIngressRule(peer, port, description, true);
        if (!peer.allowAllOutbound) {
          peer.addEgressRule(group, port, description);
        }
      }
    }
  }

  private settingsOf(service: ecs.BaseService): PoolSettings {
    return this.compute().settings.get(service.node.path)!;
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
      maxConnections: this.props.maxConnections,
      reservations: this.props.reservations ?? [],
    }, index);
    const consumers: ConsumerInput[] = this.registered.map(({ service, options }) => {
      const facts = gatherEcsServiceFacts(service, options.maxTasks, index);
      return {
        path: service.node.path,
        kind: 'ecs-service',
        shape: facts.shape,
        connections: {
          processes: options.processesPerTask ?? 1,
          poolsPerProcess: options.poolsPerProcess ?? 1,
          overflowPerPool: options.overflowPerPool ?? 0,
        },
        pool: (options.pool ?? PoolSize.share())._request,
        unresolved: facts.unresolved,
      };
    });
    const evaluation = evaluateBudget({
      path: this.node.path,
      capacity: database.capacity,
      consumers,
      warningThresholdPercent: this.props.warningThresholdPercent ?? DEFAULT_WARNING_THRESHOLD_PERCENT,
      unresolved: database.unresolved,
    });
    const settings = new Map(this.registered.map(({ service, options }) => {
      const result = evaluation.consumers.find((c) => c.input.path === service.node.path)!;
      return [service.node.path, derivePoolSettings({
        poolSize: result.poolSize,
        overflowPerPool: result.input.connections.overflowPerPool,
        minIdle: options.minIdleConnections,
        acquireTimeoutMs: options.acquireTimeout?.toMilliseconds(),
        proxyIdleClientTimeoutSeconds: database.proxyIdleClientTimeoutSeconds,
      })] as const;
    }));
    for (const warning of evaluation.problems.filter((p) => p.level === 'warning')) {
      Annotations.of(this).addWarningV2(warning.id, problemText(warning));
    }
    return { evaluation, settings };
  }

  private error(message: string): Error {
    return new Error(`ConnectionBudget '${this.node.path}': ${message}`);
  }
}

function propsProblems(props: ConnectionBudgetProps): string[] {
  const problems: string[] = [];
  if (props.maxConnections !== undefined && !isWholeNumber(props.maxConnections, 1)) {
    problems.push(`maxConnections must be a whole number of at least 1, got ${describe(props.maxConnections)}`);
  }
  const threshold = props.warningThresholdPercent;
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold > 0 && threshold <= 100)) {
    problems.push(`warningThresholdPercent must be above 0 and at most 100, got ${describe(threshold)}`);
  }
  const names = new Set<string>();
  for (const reservation of props.reservations ?? []) {
    if (reservation.name.trim() === '') {
      problems.push('every reservation needs a name');
    } else if (names.has(reservation.name)) {
      problems.push(`reservation '${reservation.name}' is declared twice`);
    }
    names.add(reservation.name);
    if (!isWholeNumber(reservation.connections, 0)) {
      problems.push(`reservation '${reservation.name}' must keep a whole number of connections of at least 0, got ${describe(reservation.connections)}`);
    }
  }
  return problems;
}

function consumerOptionProblems(options: EcsServiceConsumerOptions): string[] {
  const problems: string[] = [];
  const whole = (name: keyof EcsServiceConsumerOptions, value: number | undefined, min: number) => {
    if (value !== undefined && !isWholeNumber(value, min)) {
      problems.push(`${name} must be a whole number of at least ${min}, got ${describe(value)}`);
    }
  };
  whole('processesPerTask', options.processesPerTask, 1);
  whole('poolsPerProcess', options.poolsPerProcess, 1);
  whole('overflowPerPool', options.overflowPerPool, 0);
  whole('maxTasks', options.maxTasks, 0);
  whole('minIdleConnections', options.minIdleConnections, 0);
  const prefix = options.environmentVariablePrefix;
  if (prefix !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    problems.push(`environmentVariablePrefix must be letters, digits and underscores, not starting with a digit, got '${prefix}'`);
  }
  const timeout = options.acquireTimeout;
  if (timeout?.isUnresolved()) {
    problems.push('acquireTimeout must be a literal duration, got a token');
  } else if (timeout !== undefined && timeout.toMilliseconds() <= 0) {
    problems.push(`acquireTimeout must be longer than 0, got ${timeout.toHumanString()}`);
  }
  return problems;
}

/** A whole number at least `min`; tokens are not numbers the budget can plan with. */
function isWholeNumber(value: number, min: number): boolean {
  return !Token.isUnresolved(value) && Number.isInteger(value) && value >= min;
}

function describe(value: number): string {
  return Token.isUnresolved(value) ? 'a token' : String(value);
}
