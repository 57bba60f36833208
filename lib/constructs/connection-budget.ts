import { Annotations, aws_ec2 as ec2, aws_ecs as ecs, aws_lambda as lambda, aws_rds as rds, Lazy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import {
  ALLOCATION_RESERVATION_PREFIX, AllocationRecordError, buildLedger, BudgetEvaluation, DEFAULT_SHARE, Reservation, consumerLine, consumerMetadataKey, consumerPoolSettings, ConsumerInput, EngineKind, evaluateBudget, formatProblem,
  forTerminal, forTerminalLines, LedgerConsumerInputsJson, LedgerInputsJson, LedgerJson, PoolRequest, consumerRecord,
  isPostgresEngine, PoolSettings, PresetSpec, PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS, problemText, PROXY_PORT, Route, ServerlessV2Default, summaryLine, summaryMetadataKey,
} from '../budget';
import { ConstructInputError } from '../private/construct-input-error';
import { otherCdkCopyProblem } from '../private/cdk-copies';
import { AppIndex } from '../private/app-index';
import { writeBudgetRecord, writeConsumerRecord } from '../private/budget-records';
import { gatherDatabaseFacts } from '../private/database-facts';
import { deliver, deliverRoute } from '../private/delivery';
import { DRAFT_NOTE, DraftModeError, isDraft } from '../private/draft-mode';
import { groupSource, peerSource, resourceRef } from '../private/ledger-refs';
import { pathOf } from '../private/validation';
import { verifyAtSynthesis } from '../private/verification-plugin';
import { openClients } from '../template/open-clients';
import {
  ConnectionReservation, EcsServiceConsumerOptions, EcsTaskConsumerOptions, LambdaFunctionConsumerOptions,
} from './consumer-options';
import { ConsumerBinding, ConsumerProblem } from './consumers/binding';
import { bindEcsService } from './consumers/ecs-service';
import { bindEcsTask } from './consumers/ecs-task';
import { bindLambdaFunction } from './consumers/lambda-function';
import { allocationProblems, engineOf, propsProblems, reservationProblems, splitClient } from './budget-props';
import { AllocationGrant, AllocationShare, ConnectionAllocation, ConnectionAllocationOptions } from './connection-allocation';
import { ConnectionBudgetFromAllocationProps } from './allocation-source';
import { allocationCredentials, allocationFacts, allocationLedgerInputs, GrantedAllocation, grantedAllocation } from '../private/granted-allocation';
import { AllocationGuard } from './allocation-guard';
import { applyChain, chainMembers, ChainMembers } from './deploy-waves';
import { RebootGuard } from './reboot-guard';
import { DatabaseUsers } from './database-users';
import { placeInGroup } from './consumers/placement';
import { pooledPath, presetOf } from './consumers/options';
import { BudgetedConsumer } from './budgeted-consumer';
import { DatabaseTarget } from './database-target';
import { PoolSize } from './pool-size';

/** Properties of a {@link ConnectionBudget}. */
export interface ConnectionBudgetProps {
  /**
   * The database whose connections the budget divides.
   */
  readonly database: DatabaseTarget;

  /**
   * The RDS Proxy the consumers connect through, defined in this app. Its MaxConnectionsPercent, read from its
   * target group, sets the ceiling; consumers get ingress to it on the engine's port. A proxy that does not require
   * TLS (RequireTLS as it deploys), or a database clients reach directly without TLS required, warns (CB-TLS-NOT-REQUIRED).
   *
   * @default - consumers connect to the database directly and get ingress to it
   */
  readonly proxy?: rds.DatabaseProxy;

  /**
   * The database's max_connections, when the app does not define it exactly: for an imported database, or a class
   * the budget has no default for. It is a claim: on a database in this app whose parameter group keeps the engine
   * default, a claim above that default fails synth (CB-MAX-CONNECTIONS-CLAIM). A lower value set in the parameter
   * group still wins.
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
   * What must fit (fixed pools, and derived pools at their minimum) at or above this percentage of the ceiling raises the CB-NEAR-CAPACITY warning.
   *
   * @default 90
   */
  readonly warningThresholdPercent?: number;

  /**
   * Whether the budget chains the CloudFormation updates of its registered ECS services so that one deploys at a time
   * (DependsOn within a stack, a stack dependency across stacks), and counts only the largest service's deployment
   * surge instead of every one. The chain is read back from the synthesized templates: a chain broken after synth
   * earns no credit. Deployments started outside CloudFormation (`aws ecs update-service`, CodeDeploy) are not held
   * by it; see "Deploying in waves" in docs/usage.md.
   *
   * @default false
   */
  readonly deployInWaves?: boolean;

  /**
   * Whether a custom resource fails a deployment whose worst case grows while the database has not applied its
   * parameter group (RDS reports `pending-reboot` after max_connections changes), before any consumer updates.
   * Only for a database defined in this app.
   *
   * @default true
   */
  readonly pendingRebootCheck?: boolean;
}

/** The database every PostgreSQL server has, for when the app names none (SOURCES.postgresDefaultDatabase). */
const POSTGRESQL_DEFAULT_DATABASE = 'postgres';

/** Near the limit means 90 % of the ceiling unless the budget says otherwise (design.md §3). */
const DEFAULT_WARNING_THRESHOLD_PERCENT = 90;

/** What the budget remembers of a consumer until it computes. */
interface Registration {
  readonly binding: ConsumerBinding;
  readonly direct: boolean;
  readonly pool: PoolRequest;
  readonly preset: PresetSpec;
  /** The consumer's own database user, when its database gives each consumer one. */
  readonly databaseUser?: string;
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
 * the proxy's target group and the database's parameter groups. After synthesis it is verified against the
 * templates written (a CDK validation plugin the budget registers on the app): every fact is read again from
 * what deploys, overrides included, and every security group rule, security group member, launcher of a
 * budgeted task definition and container of it is checked, so nothing changed after the budget computed can
 * pass as fitting.
 *
 * It is written into the templates' Metadata for review: a summary line and one line per consumer in
 * every stack involved (so `cdk diff` shows a budget change), and the full ledger, which the
 * connection-budget CLI reads, in the budget's own stack.
 */
export class ConnectionBudget extends Construct {
  /**
   * A budget in a team's app whose ceiling is an allocation another app's budget granted (addAllocation there). Consumers
   * register as with any budget: their pools fill the allocation, synth fails over it, they are placed in the
   * allocation's client security group and get the owning proxy's endpoint. The record is read at synth through CDK's
   * context lookup (cached in cdk.context.json) unless the attributes are given, and a custom resource checks the live
   * record at deploy time before any consumer updates.
   */
  public static fromAllocation(scope: Construct, id: string, props: ConnectionBudgetFromAllocationProps): ConnectionBudget {
    return new ConnectionBudget(scope, id, {
      database: DatabaseTarget._fromAllocation(props), reservations: props?.reservations, warningThresholdPercent: props?.warningThresholdPercent,
      deployInWaves: props?.deployInWaves,
    });
  }

  private readonly engine: EngineKind;
  private readonly database?: rds.IDatabaseInstance | rds.IDatabaseCluster;
  /** Set for a budget built from an allocation: the record it plans with. */
  private readonly granted?: GrantedAllocation;
  /** The allocation's client security group, for a budget built from one. */
  private readonly clientGroup?: ec2.ISecurityGroup;
  /** The deploy-time guard consumers depend on: the allocation's, or the pending-reboot one. */
  private readonly guard?: Construct;
  private readonly props: ConnectionBudgetProps;
  private readonly reservations: ConnectionReservation[] = [];
  /** Allocations granted as a weighted share, by reservation name: resolved to a number when the budget computes. */
  private readonly sharedAllocations = new Map<string, Required<Reservation>['share']>();
  /** The database user of each allocation (by its reservation's name), when the database gives each one. */
  private readonly allocationUsers = new Map<string, string>();
  private readonly registered: Registration[] = [];
  private deriveProxyPercent = false;
  private databaseUsers?: DatabaseUsers;
  private serverlessV2Default?: ServerlessV2Default;
  private computed?: Computed;
  private computing = false;
  private chain?: ChainMembers;
  private chainProblems?: readonly string[];

  public constructor(scope: Construct, id: string, props: ConnectionBudgetProps) {
    super(scope, id);
    const otherCopy = otherCdkCopyProblem(this);
    if (otherCopy) throw this.error(otherCopy);
    this.props = props;
    const allocation = props.database?._allocation;
    if (allocation) {
      this.granted = this.withAllocationErrors(() => grantedAllocation(this, allocation));
      this.engine = this.granted.record.engine;
      // Imported, immutable: the owning app holds every rule of the group, where its budget checks them.
      this.clientGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ClientSecurityGroup', this.granted.record.clientSecurityGroupId, { mutable: false });
      const problems = propsProblems({ ...props, database: undefined as unknown as DatabaseTarget }, this.engine);
      if (problems.length > 0) {
        throw this.error(`invalid properties:\n- ${problems.join('\n- ')}`);
      }
      if (allocation.deployTimeCheck ?? this.granted.source === 'lookup') {
        // What the team takes from the allocation: its worst case and its own reservations.
        this.guard = new AllocationGuard(this, 'AllocationGuard', {
          granted: this.granted,
          worstCase: () => {
            const { totals, capacity } = this.compute().evaluation;
            return totals.demand + (capacity?.reservedTotal ?? 0);
          },
        });
      }
    } else {
      const database = props.database?._instance ?? props.database?._cluster;
      if (!database) {
        throw this.error('invalid properties:\n- database is required: DatabaseTarget.fromInstance() or DatabaseTarget.fromCluster()');
      }
      this.database = database;
      const { engine, problem } = engineOf(database);
      const problems = [...(problem ? [problem] : []), ...propsProblems(props, engine)];
      if (problems.length > 0 || !engine) {
        throw this.error(`invalid properties:\n- ${problems.join('\n- ')}`);
      }
      this.engine = engine;
      const l1 = database.node.defaultChild;
      if (props.pendingRebootCheck !== false && (l1 instanceof rds.CfnDBInstance || l1 instanceof rds.CfnDBCluster)) {
        this.guard = new RebootGuard(this, 'RebootGuard', {
          instance: props.database._instance, cluster: props.database._cluster,
          // Everything the database must serve: consumers through the proxy and directly, and every reservation and allocation.
          worstCase: () => {
            const { totals, capacity } = this.compute().evaluation;
            return totals.demand + totals.directDemand + (capacity?.reservedTotal ?? 0);
          },
          maxConnections: () => this.compute().evaluation.maxConnections?.value ?? 0,
        });
      }
    }
    for (const construct of [this, this.database, props.proxy].flatMap((c): IConstruct[] => (c ? [c] : []))) {
      const nested = nestedStackOf(construct);
      if (nested) {
        throw this.error(`'${construct.node.path}' is in the nested stack '${nested}', whose template is an asset that the budget's verification `
          + 'and the connection-budget CLI do not read; define it in a Stack.');
      }
    }
    for (const reservation of props.reservations ?? []) {
      this.reserve(reservation);
    }
    const draft = this.draftMode();
    this.node.addValidation({
      validate: () => {
        const errors = [
          ...this.compute().evaluation.problems.filter((p) => p.level === 'error').map(formatProblem),
          ...this.applyChain().map((problem) => forTerminal(`ConnectionBudget '${this.node.path}': ${problem}.`)),
        ];
        if (this.granted?.pending) {
          // An error here would stop the synth before CDK can look the record up; the annotation fails `cdk synth` after it.
          Annotations.of(this).addError(errors.join('\n'));
          return [];
        }
        if (!draft) return errors;
        for (const error of errors) {
          Annotations.of(this).addWarning(`${error} (${DRAFT_NOTE})`);
        }
        return [];
      },
    });
    verifyAtSynthesis(this, () => this.compute().ledger);
    this.addSummaryMetadata(Stack.of(this));
    writeBudgetRecord(this, () => this.compute().ledger);
  }

  /**
   * For a budget built from an allocation: the owning app's client security group, which the registered consumers are
   * placed in; a scheduled task's launcher must list it itself. Undefined for a budget of a database in this app.
   */
  public get allocationClientSecurityGroup(): ec2.ISecurityGroup | undefined {
    return this.clientGroup;
  }

  /**
   * Keeps connections free for a named purpose (migrations, admin, BI tools, another team's app). Its
   * clients get ingress to the proxy (throughProxy) or the database.
   */
  public addReservation(reservation: ConnectionReservation): void {
    const method = `addReservation(${typeof reservation?.name === 'string' ? `'${reservation.name}'` : ''})`;
    this.assertOpen(method);
    const problems = reservationProblems(reservation, this.reservations, this.props.proxy !== undefined || this.granted !== undefined);
    if (problems.length > 0) {
      throw this.error(`${method}: ${problems.join('; ')}.`);
    }
    this.reserve(reservation);
  }

  /**
   * Grants another team's or app's consumers a number of connections through the proxy. They count like a reservation
   * through the proxy; the allocation gets a client security group with ingress to the proxy, and a versioned record in
   * SSM Parameter Store (`/connection-budget/<budget path>/allocations/<name>`) with the route and the group, for the
   * team's app to read.
   */
  public addAllocation(options: ConnectionAllocationOptions): ConnectionAllocation {
    // Checked before the construct exists: a refused allocation leaves nothing in the tree.
    this._allocationGrant(options);
    return new ConnectionAllocation(this, `Allocation${options.name}`, { ...options, budget: this });
  }

  /**
   * Checks an allocation and gives it what it publishes.
   * @internal
   */
  public _allocationGrant(options: ConnectionAllocationOptions): AllocationGrant {
    const method = `addAllocation(${typeof options?.name === 'string' ? `'${options.name}'` : ''})`;
    this.assertOpen(method);
    if (this.granted) {
      throw this.error(`${method}: this budget is itself an allocation of '${this.granted.owningBudgetPath}'; only the owning budget grants allocations.`);
    }
    const problems = allocationProblems(options, this.reservations, this.props.proxy !== undefined);
    const vpc = options?.vpc ?? (this.database as { vpc?: ec2.IVpc }).vpc;
    if (problems.length === 0 && !vpc) {
      problems.push(`the database '${this.database!.node.path}' is imported, so its VPC is unknown; pass vpc`);
    }
    if (problems.length > 0) {
      throw this.error(`${method}: ${problems.join('; ')}.`);
    }
    // The team connects as the allocation's own user, limited to the allocation; never as the master user.
    const credentials = this.databaseUsers?.credentialsForAllocation(this.node.path, options.name, () => this._allocationConnections(options.name));
    if (credentials) this.allocationUsers.set(`${ALLOCATION_RESERVATION_PREFIX}${options.name}`, credentials.user);
    return {
      budgetPath: this.node.path, engine: this.engine, route: this.routeOf(false), vpc: vpc!, credentials,
      proxyIdleClientTimeoutSeconds: (this.props.proxy!.node.defaultChild as rds.CfnDBProxy).idleClientTimeout ?? PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS,
    };
  }

  /**
   * Counts an allocation like a reservation through the proxy, its client security group as the client.
   * @internal
   */
  public _reserveAllocation(allocation: ConnectionAllocation, share?: AllocationShare): void {
    // A raised allocation grows what the database serves: it waits for the pending-reboot guard like a consumer.
    if (this.guard) allocation.record.node.addDependency(this.guard);
    // The record names the allocation's user: it is published once the user manager has made the user.
    if (this.databaseUsers && this.allocationUsers.has(`${ALLOCATION_RESERVATION_PREFIX}${allocation.allocationName}`)) {
      allocation.record.node.addDependency(this.databaseUsers.resource);
    }
    const name = `${ALLOCATION_RESERVATION_PREFIX}${allocation.allocationName}`;
    if (share) {
      this.sharedAllocations.set(name, { weight: share.weight ?? DEFAULT_SHARE.weight, min: share.minConnections, max: share.maxConnections });
    }
    this.reserve({ name, connections: share ? 0 : allocation.connections, throughProxy: true, clients: [allocation.clientSecurityGroup] });
  }

  /**
   * The connections an allocation granted as a share resolved to.
   * @internal
   */
  public _allocationConnections(allocationName: string): number {
    const name = `${ALLOCATION_RESERVATION_PREFIX}${allocationName}`;
    return this.compute().evaluation.capacity?.reservations.find((r) => r.name === name)?.connections ?? this.sharedAllocations.get(name)!.min;
  }

  private reserve(reservation: ConnectionReservation): void {
    if (this.granted && (reservation.clients ?? []).length > 0) {
      throw this.error(`reservation '${reservation.name}': this budget is an allocation of '${this.granted.owningBudgetPath}', whose rules stay in the owning app; `
        + `pass no clients, and place them in the allocation's client security group (${this.granted.record.clientSecurityGroupId}) yourself.`);
    }
    this.reservations.push(reservation);
    const description = `Reservation ${reservation.name} (connection budget ${this.node.path})`;
    for (const client of reservation.clients ?? []) {
      this.grantIngress(client, !reservation.throughProxy, description);
    }
  }

  /**
   * Registers an ECS service (FargateService, Ec2Service, or the `service` of an aws-ecs-patterns
   * construct) in any stack of the app. Its container gets the pool settings as environment variables
   * and it gets ingress to the proxy (or database) on the engine's port. A task whose containers each hold
   * pools registers once per container (`containerName`).
   */
  public addEcsService(service: ecs.BaseService, options: EcsServiceConsumerOptions = {}): BudgetedConsumer {
    const method = `addEcsService('${pathOf(service)}')`;
    this.assertOpen(method);
    return this.register(method, this.bind(method, () => bindEcsService(service, options ?? {})));
  }

  /**
   * Registers a standalone ECS task definition: a scheduled job (an EventBridge rule or schedule target, such as the
   * aws-ecs-patterns ScheduledFargateTask) or a task that Step Functions or RunTask starts. Its worst case is
   * maxConcurrentRuns × tasks per run × processes × pools. Register it after the rule that runs it.
   */
  public addEcsTask(taskDefinition: ecs.TaskDefinition, options: EcsTaskConsumerOptions): BudgetedConsumer {
    const method = `addEcsTask('${pathOf(taskDefinition)}')`;
    this.assertOpen(method);
    return this.register(method, this.bind(method, () => bindEcsTask(taskDefinition, options ?? {} as EcsTaskConsumerOptions, () => AppIndex.of(this))));
  }

  /**
   * Registers a Lambda function in a VPC. Its worst case is its reserved concurrency × pools × pool size
   * (one execution environment per concurrent request, each with its own pools); a function without
   * reserved concurrency fails synth with CB-UNBOUNDED-LAMBDA.
   */
  public addLambdaFunction(fn: lambda.Function, options: LambdaFunctionConsumerOptions = {}): BudgetedConsumer {
    const method = `addLambdaFunction('${pathOf(fn)}')`;
    this.assertOpen(method);
    return this.register(method, this.bind(method, () => bindLambdaFunction(fn, options ?? {})));
  }

  /**
   * BudgetedDatabase: each consumer registered from now on connects as its own database user.
   * @internal
   */
  public _useDatabaseUsers(users: DatabaseUsers): void {
    this.databaseUsers = users;
  }

  /**
   * The worst case of a registered consumer, known once the budget is computed: its database user's connection limit.
   * @internal
   */
  public _consumerDemand(path: string): number {
    const consumer = this.compute().evaluation.consumers.find((c) => c.input.path === path);
    if (!consumer) throw this.error(`no registered consumer has the path '${path}', whose database user's limit was asked for.`);
    return consumer.demand;
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
   * Tells the budget that the parameter group's max_connections is Aurora Serverless v2's published value for this
   * capacity, written by BudgetedDatabase, so a fix raises the capacity rather than max_connections.
   * @internal
   */
  public _maxConnectionsFollowServerlessV2(written: ServerlessV2Default): void {
    this.serverlessV2Default = written;
  }

  /**
   * The database (instance or cluster) and the proxy the budget divides, for monitoring.
   * @internal
   */
  public _target(): { instance?: rds.IDatabaseInstance; cluster?: rds.IDatabaseCluster; proxy?: rds.DatabaseProxy } {
    return { instance: this.props.database._instance, cluster: this.props.database._cluster, proxy: this.props.proxy };
  }

  /**
   * For a budget built from an allocation: the owning budget's path and the allocation's name.
   * @internal
   */
  public _grantedBy(): { owningBudgetPath: string; allocationName: string } | undefined {
    return this.granted && { owningBudgetPath: this.granted.owningBudgetPath, allocationName: this.granted.name };
  }

  /**
   * The evaluated budget (computed on first use, just before synthesis).
   * @internal
   */
  public _evaluation(): BudgetEvaluation {
    return this.compute().evaluation;
  }

  /** A consumer kind's binding, its problems reported as the budget's errors. */
  private bind(method: string, bind: () => ConsumerBinding): ConsumerBinding {
    const bound = this.withMethod(method, bind);
    const binding: ConsumerBinding = { ...bound, path: pooledPath(bound.path, bound.options) };
    const nested = nestedStackOf(binding.resource);
    if (nested) {
      throw this.error(`${method}: the consumer is in the nested stack '${nested}', whose template is an asset that the budget's verification `
        + 'and the connection-budget CLI do not read; define it in a Stack.');
    }
    if (this.registered.some((r) => r.binding.path === binding.path)) {
      const what = binding.options.poolName !== undefined ? `its pool set '${binding.options.poolName}' is`
        : binding.path === binding.resourcePath ? 'the consumer is' : `its container '${binding.container}' is`;
      throw this.error(`${method}: ${what} already registered with this budget; register a container's second pool set with its own poolName `
        + 'and poolSettings, or another container with containerName.');
    }
    return binding;
  }

  /** Runs a consumer kind's step; what it finds wrong with the consumer becomes the budget's error, naming the method. */
  private withMethod<T>(method: string, step: () => T): T {
    try {
      return step();
    } catch (e) {
      if (e instanceof ConsumerProblem) throw this.error(`${method}: ${e.message}`);
      throw e;
    }
  }

  private register(method: string, binding: ConsumerBinding): BudgetedConsumer {
    const pool = (binding.options.pool ?? PoolSize.share())._request;
    const direct = binding.options.bypassProxy === true;
    if (direct && this.granted) {
      throw this.error(`${method}: bypassProxy is set, but this budget is an allocation of '${this.granted.owningBudgetPath}', which its consumers reach through the owning proxy only.`);
    }
    if (direct && !this.props.proxy) {
      throw this.error(`${method}: bypassProxy is set, but the budget has no proxy; every consumer already connects directly.`);
    }
    if (direct && pool.kind !== 'fixed') {
      throw this.error(`${method}: a consumer that bypasses the proxy needs a fixed pool (PoolSize.fixed), because its worst case is kept out of max_connections before the proxy's share is derived.`);
    }
    const preset = presetOf(binding.options);
    const credentials = this.databaseUsers ? this.withMethod(method, () => this.databaseUsers!.credentialsFor(binding))
      : this.granted ? allocationCredentials(this.granted, binding.grantee) : undefined;
    const variables = {
      ...this.withMethod(method, () => deliver(this.node.path, binding.path, preset, binding.holder, () => this.settingsOf(binding.path))),
      ...this.withMethod(method, () => deliverRoute(preset, binding.holder, { ...this.routeOf(direct), credentials })),
    };
    // One description per resource: a second container of the same task reuses the rule instead of duplicating it.
    if (this.guard) binding.resource.node.addDependency(this.guard);
    if (this.granted) {
      this.withMethod(method, () => placeInGroup(binding, this.clientGroup!));
    } else {
      const description = `Connections from ${binding.resourcePath} (connection budget ${this.node.path})`;
      for (const group of binding.securityGroups) {
        this.grantIngress(group, direct, description);
      }
    }
    // A team's consumers share the allocation's user, whose limit is the allocation (the ledger's inputs.allocation names it).
    this.registered.push({ binding, direct, pool, preset, databaseUser: this.granted ? undefined : credentials?.user });
    this.addConsumerMetadata(binding.stack, binding.path);
    if (binding.stack !== Stack.of(this)) this.addConsumerMetadata(Stack.of(this), binding.path);
    writeConsumerRecord(binding.resource, this.node.path, binding.path, () => {
      const ledger = this.compute().ledger;
      return consumerRecord(ledger.consumers.find((c) => c.path === binding.path)!, ledger.inputs!.waves);
    });
    return {
      path: binding.path,
      databaseUser: credentials?.user,
      poolSize: Lazy.number({ produce: () => this.settingsOf(binding.path).maxSize }),
      variables,
    };
  }

  /**
   * The reviewer's lines in a stack's template Metadata: the budget's summary, and one line per consumer
   * of the budget in that stack (the budget's own stack has every consumer's), so `cdk diff` shows a budget change
   * beside the env var change.
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

  private assertOpen(method: string): void {
    if (this.computed || this.computing) {
      throw this.error(`${method} was called after the budget was computed (for synthesis, or because something resolved one of its values, such as a handle's poolSize, early); register every consumer while building the app, before anything resolves the budget's values.`);
    }
  }

  /** The proxy (or, for direct clients and budgets without a proxy, the database) and the port clients connect to. */
  private entryPoint(direct: boolean): { target: ec2.IConnectable; port: ec2.Port } {
    if (this.props.proxy && !direct) {
      return { target: this.props.proxy, port: ec2.Port.tcp(PROXY_PORT[this.engine]) };
    }
    return { target: this.database!, port: this.database!.connections.defaultPort! };
  }

  /** Where a consumer connects: the proxy's endpoint, or the database's (the cluster's writer) for a direct client. */
  private routeOf(direct: boolean): Route {
    if (this.granted) {
      const { record } = this.granted;
      return { engine: record.engine, host: record.proxyEndpoint, port: String(record.port), databaseName: record.databaseName ?? undefined };
    }
    const { _instance: instance, _cluster: cluster } = this.props.database;
    const l1 = (instance ?? cluster)!.node.defaultChild;
    // Every PostgreSQL server has a database named postgres (initdb creates it); a MySQL one has no default database.
    const named = l1 instanceof rds.CfnDBInstance ? l1.dbName : l1 instanceof rds.CfnDBCluster ? l1.databaseName : undefined;
    const databaseName = named ?? (l1 !== undefined && isPostgresEngine(this.engine) ? POSTGRESQL_DEFAULT_DATABASE : undefined);
    if (this.props.proxy && !direct) {
      return { engine: this.engine, host: this.props.proxy.endpoint, port: String(PROXY_PORT[this.engine]), databaseName };
    }
    const endpoint = instance ? instance.instanceEndpoint : cluster!.clusterEndpoint;
    return { engine: this.engine, host: endpoint.hostname, port: Tokenization.stringifyNumber(endpoint.port), databaseName };
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
      throw this.error('the budget was needed while it was being computed: a value it reads (a task count, a capacity, reserved concurrency, a parameter) is made from its own pool settings, such as a handle\'s poolSize or variables; give that value a number of its own.');
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
    const database = this.granted ? allocationFacts(this.granted, this.reservations) : gatherDatabaseFacts({
      engine: this.engine,
      database: { instance: this.props.database._instance, cluster: this.props.database._cluster },
      proxy: this.props.proxy,
      deriveProxyPercent: this.deriveProxyPercent,
      maxConnections: this.props.maxConnections,
      reservations: this.reservations.map(({ name, connections, throughProxy }) => ({
        name, connections, throughProxy: throughProxy === true, ...(this.sharedAllocations.has(name) ? { share: this.sharedAllocations.get(name) } : {}),
      })),
    }, index);
    const chain = this.props.deployInWaves ? this.chainMembers() : undefined;
    const chained = new Set(chain?.services.map((s) => s.resource));
    const consumers: ConsumerInput[] = this.registered.map((r) => {
      const facts = r.binding.gather(index);
      // A chain is named after its first service by path, whatever order it deploys in. A container of a chained service
      // that bypasses the proxy is not: its connections are kept out of the shared ceiling at their peak, as the
      // verification reads them.
      const wave = chained.has(r.binding.resource) && !r.direct ? { chain: chain!.services[0].path, service: r.binding.resourcePath } : undefined;
      return {
        path: r.binding.path,
        kind: r.binding.kind,
        shape: facts.shape,
        unbounded: facts.unbounded,
        connections: r.binding.connections,
        pool: r.pool,
        route: r.direct ? 'direct' : 'proxy',
        unresolved: facts.unresolved,
        invalid: facts.invalid,
        ...(wave ? { wave } : {}),
      };
    });
    const evaluation = evaluateBudget({
      path: this.node.path,
      capacity: { ...database.capacity, serverlessV2Default: this.serverlessV2Default },
      consumers,
      warningThresholdPercent: this.props.warningThresholdPercent ?? DEFAULT_WARNING_THRESHOLD_PERCENT,
      unresolved: database.unresolved,
      invalid: database.invalid,
      tls: database.tls,
      openClients: openClients(this.reservations.filter((r) => (r.clients ?? []).length > 0).map((r) => ({
        name: r.name,
        targetPath: pathOf(this.entryPoint(!r.throughProxy).target),
        clients: r.clients!.flatMap((client) => splitClient(client).addresses.map((a) => Stack.of(this).resolve(a.toIngressRuleConfig()))),
      }))),
    });
    const acknowledged: string[] = [];
    for (const warning of evaluation.problems.filter((p) => p.level === 'warning')) {
      // addWarningV2 records nothing for an acknowledged ID; that is the only public trace of the acknowledgement.
      const recorded = this.node.metadata.length;
      Annotations.of(this).addWarningV2(warning.id, problemText(warning));
      if (this.node.metadata.length === recorded) {
        acknowledged.push(warning.id);
      }
    }
    const consumerInputs = new Map(this.registered.map((r) => [r.binding.path, this.consumerInputs(r)] as const));
    const settings = new Map(evaluation.consumers.map((c) => [c.input.path, consumerPoolSettings(c, evaluation.capacity, consumerInputs.get(c.input.path)!)] as const));
    const ledger = buildLedger(evaluation, { budget: this.budgetInputs(acknowledged, evaluation), consumers: consumerInputs });
    return { evaluation, settings, ledger };
  }

  /** What the ledger records of the budget for the templates to be checked against. */
  private budgetInputs(acknowledged: readonly string[], evaluation: BudgetEvaluation): LedgerInputsJson {
    const waves = this.chain ? { services: this.chain.services.map((s) => ({ path: s.path, resource: resourceRef(s.resource) })) } : null;
    if (this.granted) {
      return {
        ...allocationLedgerInputs(this.granted, this.reservations, this.props.warningThresholdPercent ?? DEFAULT_WARNING_THRESHOLD_PERCENT, acknowledged, this.guard !== undefined),
        waves,
      };
    }
    const { instance, cluster, proxy } = this._target();
    const database = (instance ?? cluster)!;
    const l1 = database.node.defaultChild;
    const port = this.database!.connections.defaultPort?.toRuleJson().fromPort;
    return {
      engine: this.engine,
      maxConnections: this.props.maxConnections ?? null,
      warningThresholdPercent: this.props.warningThresholdPercent ?? DEFAULT_WARNING_THRESHOLD_PERCENT,
      database: {
        kind: instance ? 'instance' : 'cluster',
        path: database.node.path,
        resource: l1 instanceof rds.CfnDBInstance || l1 instanceof rds.CfnDBCluster ? resourceRef(l1) : null,
        securityGroups: database.connections.securityGroups.map(groupSource),
        port: typeof port === 'number' && !Token.isUnresolved(port) ? port : null,
      },
      proxy: proxy ? {
        path: proxy.node.path,
        resource: resourceRef(proxy.node.defaultChild as rds.CfnDBProxy),
        securityGroups: proxy.connections.securityGroups.map(groupSource),
        port: PROXY_PORT[this.engine],
        derivedPercent: this.deriveProxyPercent,
      } : null,
      allocation: null,
      reservations: this.reservations.map((r) => ({
        name: r.name,
        // An allocation granted as a share: the number it resolved to, and the share the templates are checked with.
        connections: evaluation.capacity?.reservations.find((c) => c.name === r.name)?.connections ?? r.connections,
        ...(this.sharedAllocations.has(r.name) ? { share: this.sharedAllocations.get(r.name) } : {}),
        throughProxy: r.throughProxy === true,
        ...(r.dataApi === true ? { dataApi: true } : {}),
        ...(this.allocationUsers.has(r.name) ? { databaseUser: this.allocationUsers.get(r.name) } : {}),
        clients: (r.clients ?? []).flatMap((client) => {
          const { groups, addresses } = splitClient(client);
          return [...groups.map(groupSource), ...addresses.map((a) => peerSource(this, a))];
        }),
      })),
      acknowledged,
      waves,
      ...(this.serverlessV2Default ? { serverlessV2Default: { ...this.serverlessV2Default } } : {}),
    };
  }

  /** The ECS services the budget deploys one at a time: every registered service through the shared ceiling that CloudFormation deploys. */
  private chainMembers(): ChainMembers {
    if (!this.chain) {
      const seen = new Set<unknown>();
      const candidates = this.registered
        .filter((r) => r.binding.kind === 'ecs-service' && !r.direct && !seen.has(r.binding.resource) && seen.add(r.binding.resource))
        .map((r) => ({ path: r.binding.resourcePath, resource: r.binding.resource }));
      this.chain = chainMembers(candidates);
    }
    return this.chain;
  }

  /**
   * Chains the services, once, while CDK validates the app: after it has prepared the app, so every stack dependency its
   * references make is known and the chain's order agrees with them; before it writes the templates and the manifest.
   */
  private applyChain(): readonly string[] {
    if (!this.props.deployInWaves) return [];
    this.chainProblems ??= applyChain(this, this.chainMembers());
    return this.chainProblems;
  }

  /** What the ledger records of a consumer for the templates to be checked against. */
  private consumerInputs(r: Registration): LedgerConsumerInputsJson {
    const { binding } = r;
    return {
      resource: resourceRef(binding.resource),
      container: binding.container ?? null,
      preset: r.preset,
      minIdleConnections: binding.options.minIdleConnections ?? null,
      acquireTimeoutMs: binding.options.acquireTimeout?.toMilliseconds() ?? null,
      bounds: {
        maxTasks: binding.bounds.maxTasks ?? null,
        maxConcurrency: binding.bounds.maxConcurrency ?? null,
        maxConcurrentRuns: binding.bounds.maxConcurrentRuns ?? null,
        tasksPerRun: binding.bounds.tasksPerRun ?? null,
      },
      securityGroups: [...binding.securityGroups, ...(this.granted ? [this.clientGroup!] : [])].map(groupSource),
      databaseUser: r.databaseUser ?? null,
    };
  }

  private draftMode(): boolean {
    try {
      return isDraft(this);
    } catch (e) {
      if (e instanceof DraftModeError) throw this.error(e.message);
      throw e;
    }
  }

  /** Runs a step that reads the allocation; what is wrong with it becomes the budget's error. */
  private withAllocationErrors<T>(step: () => T): T {
    try {
      return step();
    } catch (e) {
      if (e instanceof AllocationRecordError) throw this.error(e.message);
      throw e;
    }
  }

  /** The message names paths and names from the app and from allocation records, and `cdk synth` prints it to a terminal. */
  private error(message: string): Error {
    return new ConstructInputError(forTerminalLines(`ConnectionBudget '${forTerminal(this.node.path)}': ${message}`));
  }
}


/** The path of the nested stack a construct is in, if any. */
function nestedStackOf(construct: IConstruct): string | undefined {
  const stack = Stack.of(construct);
  return stack.nested ? stack.node.path : undefined;
}
