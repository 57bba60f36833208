import { Annotations, aws_ec2 as ec2, aws_iam as iam, aws_rds as rds, CustomResource, aws_secretsmanager as secretsmanager, Duration, Lazy, RemovalPolicy, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  DEFAULT_ACQUIRE_TIMEOUT_MS, ENGINE_NAMES, EngineKind, estimateMaxConnections, forTerminal, forTerminalLines, InstanceSizing, isPostgresEngine, LARGEST_MAX_CONNECTIONS, listOf, MAX_SETTABLE_MAX_CONNECTIONS,
  MaxConnections, PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS, PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT, SERVERLESS_V2_CAPACITY_STEP_ACU,
  SERVERLESS_V2_HIGHEST_CAPACITY_ACU, SERVERLESS_V2_LOWEST_MAXIMUM_ACU, SERVERLESS_V2_LOWEST_MINIMUM_ACU, SERVERLESS_V2_MAX_CONNECTIONS, TLS_PARAMETER, TLS_REQUIRED_VALUE,
} from '../budget';
import { engineKindOf, SUPPORTED_ENGINE_TYPES } from '../template/database-engine';
import { ConstructInputError } from '../private/construct-input-error';
import { otherCdkCopyProblem } from '../private/cdk-copies';
import { unknownKeyProblems } from '../private/option-names';
import { describeNumber, wholeNumberProblem } from '../private/validation';
import { ConnectionBudget } from './connection-budget';
import { ConnectionReservation } from './consumer-options';
import { DatabaseTarget } from './database-target';
import { DatabaseUsers } from './database-users';
import { SecretRotation } from './secret-rotation';

/** Properties of a {@link BudgetedDatabase}. */
export interface BudgetedDatabaseProps {
  /**
   * The VPC of the database and its proxy.
   */
  readonly vpc: ec2.IVpc;

  /**
   * Where the database and the proxy run.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The engine of an RDS DB instance (PostgreSQL, MySQL, MariaDB). Give this or clusterEngine.
   *
   * @default - none; clusterEngine is required then
   */
  readonly instanceEngine?: rds.IInstanceEngine;

  /**
   * The engine of an Aurora cluster (Aurora PostgreSQL, Aurora MySQL). Give this or instanceEngine.
   *
   * @default - none; instanceEngine is required then
   */
  readonly clusterEngine?: rds.IClusterEngine;

  /**
   * The instance class of the database (every instance of an Aurora cluster).
   *
   * Not with serverlessV2MaxCapacityAcu.
   *
   * @default db.r6g.large, unless serverlessV2MaxCapacityAcu makes the instances Aurora Serverless v2
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The most capacity each Aurora Serverless v2 instance scales to, in Aurora capacity units (ACU).
   *
   * 1 to 256 in steps of 0.5. Given (with clusterEngine, without instanceType), the writer and every reader are
   * Serverless v2 instances, and the default max_connections is AWS's published value for this maximum; between the
   * maximums AWS publishes, the value of the nearest one below, the safe side.
   *
   * @default - provisioned instances of instanceType
   */
  readonly serverlessV2MaxCapacityAcu?: number;

  /**
   * The least capacity each Aurora Serverless v2 instance scales down to, in Aurora capacity units (ACU).
   *
   * 0 to 256 in steps of 0.5 (0 pauses idle instances on engine versions that support it). At 0.5 or less Aurora
   * PostgreSQL caps the default max_connections at 2,000. Needs serverlessV2MaxCapacityAcu.
   *
   * @default 0.5
   */
  readonly serverlessV2MinCapacityAcu?: number;

  /**
   * Aurora readers besides the writer; every one can be promoted, so each gets the same max_connections.
   *
   * @default 1
   */
  readonly readers?: number;

  /**
   * Whether an RDS DB instance has a standby in another Availability Zone.
   *
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * max_connections, written into the parameter group so the budget is exact.
   *
   * @default - the engine's published default for the class (Aurora) or for Serverless v2's maximum capacity (the
   * nearest published maximum below it when AWS publishes none for it), else a conservative estimate from the class's
   * memory, below the engine's own default
   */
  readonly maxConnections?: number;

  /**
   * Connections kept free for named purposes (migrations, admin, BI tools).
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
   * Whether a custom resource fails a deployment whose worst case grows while max_connections waits for a reboot
   * (its Lambda function is bundled at every synth; see ConnectionBudgetProps.pendingRebootCheck).
   *
   * @default true
   */
  readonly pendingRebootCheck?: boolean;

  /**
   * Name of the database created at launch.
   *
   * @default - none
   */
  readonly databaseName?: string;

  /**
   * The master user's name; its password is generated into Secrets Manager.
   *
   * @default 'postgres' for PostgreSQL engines, 'admin' for MySQL engines
   */
  readonly masterUsername?: string;

  /**
   * Storage of an RDS DB instance.
   *
   * @default 100
   */
  readonly allocatedStorageGiB?: number;

  /**
   * How long automated backups are kept.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * Whether the database refuses to be deleted.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * What happens to the database when it leaves the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * PostgreSQL only: sessions idle inside an open transaction longer than this are ended, which frees the
   * connection and the locks a leaked transaction holds.
   *
   * @default Duration.minutes(5)
   */
  readonly idleInTransactionSessionTimeout?: Duration;

  /**
   * PostgreSQL only: statements running longer than this are cancelled.
   *
   * @default - no limit
   */
  readonly statementTimeout?: Duration;

  /**
   * Further engine parameters. Parameters the construct manages (max_connections, TLS, the PostgreSQL
   * timeouts) cannot be given here.
   *
   * @default - none
   */
  readonly parameters?: { [name: string]: string };

  /**
   * How long the proxy holds a client's request for a database connection before it fails.
   *
   * @default Duration.seconds(30) - the clients' default acquire timeout; RDS Proxy's own default is 120 s
   */
  readonly proxyBorrowTimeout?: Duration;

  /**
   * How long the proxy keeps an idle client connection; the clients' idle timeout is derived below it.
   *
   * @default Duration.minutes(30)
   */
  readonly proxyIdleClientTimeout?: Duration;

  /**
   * Whether clients must authenticate to the proxy with IAM instead of the secret's password.
   * IAM authentication is enabled on the database either way.
   *
   * @default false
   */
  readonly proxyIamAuth?: boolean;

  /**
   * Whether each registered consumer connects as its own database user, with its own secret and a connection limit
   * equal to its worst case that the database enforces. No consumer's role can read the master secret either way.
   *
   * @default true
   */
  readonly consumerUsers?: boolean;

  /**
   * Whether the secrets the construct creates (the master user's and each consumer user's) are rotated.
   *
   * @default true
   */
  readonly secretRotation?: boolean;

  /**
   * How often the secrets are rotated, when secretRotation is on.
   *
   * @default Duration.days(30)
   */
  readonly secretRotationInterval?: Duration;
}

/** CDK's own default interval of a rotation schedule (RotationScheduleOptions.automaticallyAfter, 30 days). */
const DEFAULT_SECRET_ROTATION_INTERVAL = Duration.days(30);
/** The reservation of the user manager's one session during a deployment. */
export const USER_MANAGER_RESERVATION = 'user-manager';
/** The reservation of the master secret's rotation, which logs in as the master user; each consumer's rotation logs in as its user, within its limit. */
export const SECRET_ROTATION_RESERVATION = 'secret-rotation';

/** Backups kept a week unless told otherwise. */
const DEFAULT_BACKUP_RETENTION = Duration.days(7);
/** A transaction idle this long is a leak in a web or job workload; PostgreSQL's own default is no limit (SOURCES.postgresClientTimeouts). */
const DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT = Duration.minutes(5);
/** The proxy gives up on a request when the clients do (SOURCES.rdsProxyPoolConfiguration: service default 120 s). */
const DEFAULT_PROXY_BORROW_TIMEOUT = Duration.millis(DEFAULT_ACQUIRE_TIMEOUT_MS);
const DEFAULT_INSTANCE_TYPE = ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE);
const DEFAULT_ALLOCATED_STORAGE_GIB = 100;
/** The smallest General Purpose SSD volume RDS for PostgreSQL, MySQL and MariaDB accept (SOURCES.rdsStorage). */
const MIN_ALLOCATED_STORAGE_GIB = 20;
/** The proxy keeps RDS Proxy's own default, which the clients' idle timeout is derived from. */
const DEFAULT_PROXY_IDLE_CLIENT_TIMEOUT = Duration.seconds(PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS);
const DEFAULT_READERS = 1;
/** The lowest minimum capacity every engine version accepts, 0 needing auto-pause (SOURCES.auroraServerlessV2ScalingConfiguration); CDK's default too. */
const DEFAULT_SERVERLESS_V2_MIN_CAPACITY_ACU = 0.5;
/** An Aurora cluster has at most 15 Aurora Replicas besides its writer (SOURCES.auroraReplicas). */
const AURORA_MAX_READERS = 15;

/** The warning that the maximum capacity has no published max_connections (BudgetedDatabase.warnUnpublishedMaximum). */
const SERVERLESS_V2_UNPUBLISHED_MAXIMUM = 'CB-SERVERLESS-V2-UNPUBLISHED-MAXIMUM';

const MANAGED_PARAMETERS = ['max_connections', 'rds.force_ssl', 'require_secure_transport', 'idle_in_transaction_session_timeout', 'statement_timeout'];

/** The parameter that requires TLS from every client. */
function tlsParameters(kind: EngineKind): Record<string, string> {
  return { [TLS_PARAMETER[kind]]: TLS_REQUIRED_VALUE[kind] };
}

/**
 * An RDS DB instance or Aurora cluster behind RDS Proxy, with a connection budget whose limits are exact:
 * max_connections is set explicitly in the parameter group, and the proxy's MaxConnectionsPercent is
 * derived from the budget (every connection left after the engine reserve, direct reservations and
 * direct clients), not left at 100 %. Secure by default: private subnets, TLS required, storage
 * encrypted, deletion protection, backups kept, a snapshot on removal, generated credentials in Secrets
 * Manager, IAM authentication enabled, and PostgreSQL's idle-in-transaction timeout against leaked transactions.
 *
 * Register consumers with `budget`: `db.budget.addEcsService(service)`.
 */
export class BudgetedDatabase extends Construct {
  /** The RDS DB instance, when instanceEngine was given. */
  public readonly instance?: rds.DatabaseInstance;
  /** The Aurora cluster, when clusterEngine was given. */
  public readonly cluster?: rds.DatabaseCluster;
  /** The proxy every consumer connects through. */
  public readonly proxy: rds.DatabaseProxy;
  /** The connection budget: register consumers with it. */
  public readonly budget: ConnectionBudget;
  /** The generated master credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The parameter group that sets max_connections (for Aurora: every instance's). */
  public readonly parameterGroup: rds.ParameterGroup;
  /** The max_connections written into the parameter group. */
  public readonly maxConnections: number;
  /** The security groups of the user manager and the rotation functions, which the budget counts as clients of the database. */
  public readonly managementSecurityGroups: ec2.ISecurityGroup[];
  /**
   * The user manager, which creates each consumer's user and the PostgreSQL group role `cb_consumers`: make a migration
   * that grants the application's privileges to that group depend on it. Undefined with consumerUsers: false.
   */
  public readonly userManager?: CustomResource;

  public constructor(scope: Construct, id: string, props: BudgetedDatabaseProps) {
    super(scope, id);
    const otherCopy = otherCdkCopyProblem(this);
    if (otherCopy) throw this.error(otherCopy);
    const engine = props.instanceEngine ?? props.clusterEngine;
    const kind = engineKindOf(engine?.engineType);
    const instanceType = props.instanceType ?? DEFAULT_INSTANCE_TYPE;
    const problems = budgetedDatabaseProblems(props, kind, engine?.engineType);
    if (problems.length > 0 || !kind || !engine) {
      throw this.error(`invalid properties:\n- ${problems.join('\n- ')}`);
    }
    const serverless = props.serverlessV2MaxCapacityAcu === undefined ? undefined : {
      minCapacityAcu: props.serverlessV2MinCapacityAcu ?? DEFAULT_SERVERLESS_V2_MIN_CAPACITY_ACU,
      maxCapacityAcu: props.serverlessV2MaxCapacityAcu,
    };
    if (props.maxConnections === undefined && !serverless && Token.isUnresolved(instanceType.toString())) {
      throw this.error('instanceType is a token, so the class, and with it the default max_connections, is unknown until deploy; '
        + 'give the class as a literal (ec2.InstanceType.of(...)), or pass maxConnections.');
    }
    const sizing: InstanceSizing = serverless ? { kind: 'serverless-v2', ...serverless } : { kind: 'provisioned', instanceClass: `db.${instanceType}` };
    const defaultMaxConnections = props.maxConnections === undefined ? estimateMaxConnections(kind, sizing) : undefined;
    const maxConnections = props.maxConnections ?? defaultMaxConnections?.value;
    if (maxConnections === undefined) {
      throw this.error(`max_connections is unknown for db.${instanceType}; pass maxConnections.`);
    }
    this.maxConnections = maxConnections;
    const postgres = isPostgresEngine(kind);
    const aurora = props.clusterEngine !== undefined;

    const leakGuards: Record<string, string> = postgres ? {
      idle_in_transaction_session_timeout: String((props.idleInTransactionSessionTimeout ?? DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT).toMilliseconds()),
      ...(props.statementTimeout ? { statement_timeout: String(props.statementTimeout.toMilliseconds()) } : {}),
    } : {};
    const instanceParameters = { ...props.parameters, ...leakGuards, max_connections: String(maxConnections) };
    const username = props.masterUsername ?? (postgres ? 'postgres' : 'admin');
    const common = {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      credentials: rds.Credentials.fromGeneratedSecret(username),
      storageEncrypted: true,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
    };

    let target: DatabaseTarget;
    let proxyTarget: rds.ProxyTarget;
    if (aurora) {
      const clusterEngine = props.clusterEngine!;
      this.parameterGroup = new rds.ParameterGroup(this, 'InstanceParameters', { engine: clusterEngine, parameters: instanceParameters });
      const clusterParameters = new rds.ParameterGroup(this, 'ClusterParameters', { engine: clusterEngine, parameters: tlsParameters(kind) });
      const options = { parameterGroup: this.parameterGroup, publiclyAccessible: false };
      // Every reader is in promotion tier 1, so any can become the writer; a Serverless v2 reader there scales with the writer.
      const reader = (name: string) => (serverless
        ? rds.ClusterInstance.serverlessV2(name, { ...options, scaleWithWriter: true })
        : rds.ClusterInstance.provisioned(name, { ...options, instanceType, promotionTier: 1 }));
      this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
        ...common,
        engine: clusterEngine,
        parameterGroup: clusterParameters,
        writer: serverless ? rds.ClusterInstance.serverlessV2('Writer', options) : rds.ClusterInstance.provisioned('Writer', { ...options, instanceType }),
        readers: Array.from({ length: props.readers ?? DEFAULT_READERS }, (_, i) => reader(`Reader${i + 1}`)),
        serverlessV2MinCapacity: serverless?.minCapacityAcu,
        serverlessV2MaxCapacity: serverless?.maxCapacityAcu,
        backup: { retention: props.backupRetention ?? DEFAULT_BACKUP_RETENTION },
        defaultDatabaseName: props.databaseName,
      });
      this.secret = this.cluster.secret!;
      target = DatabaseTarget.fromCluster(this.cluster);
      proxyTarget = rds.ProxyTarget.fromCluster(this.cluster);
    } else {
      const instanceEngine = props.instanceEngine!;
      this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
        engine: instanceEngine, parameters: { ...instanceParameters, ...tlsParameters(kind) },
      });
      this.instance = new rds.DatabaseInstance(this, 'Instance', {
        ...common,
        engine: instanceEngine,
        instanceType,
        parameterGroup: this.parameterGroup,
        multiAz: props.multiAz ?? true,
        allocatedStorage: props.allocatedStorageGiB ?? DEFAULT_ALLOCATED_STORAGE_GIB,
        backupRetention: props.backupRetention ?? DEFAULT_BACKUP_RETENTION,
        databaseName: props.databaseName,
        publiclyAccessible: false,
      });
      this.secret = this.instance.secret!;
      target = DatabaseTarget.fromInstance(this.instance);
      proxyTarget = rds.ProxyTarget.fromInstance(this.instance);
    }

    const proxyRole = new iam.Role(this, 'ProxyRole', { assumedBy: new iam.ServicePrincipal('rds.amazonaws.com') });
    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget,
      secrets: [this.secret],
      role: proxyRole,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      requireTLS: true,
      iamAuth: props.proxyIamAuth ?? false,
      borrowTimeout: props.proxyBorrowTimeout ?? DEFAULT_PROXY_BORROW_TIMEOUT,
      idleClientTimeout: props.proxyIdleClientTimeout ?? DEFAULT_PROXY_IDLE_CLIENT_TIMEOUT,
    });
    const rotationInterval = props.secretRotation === false ? undefined : props.secretRotationInterval ?? DEFAULT_SECRET_ROTATION_INTERVAL;
    const rotation = rotationInterval && new SecretRotation(this, 'SecretRotation', { engine: kind, vpc: props.vpc, vpcSubnets: props.vpcSubnets, interval: rotationInterval });
    const masterRotation = rotation?.rotate(this.secret, 'MasterRotation');
    const users = props.consumerUsers === false ? undefined : new DatabaseUsers(this, 'Users', {
      engine: kind, vpc: props.vpc, vpcSubnets: props.vpcSubnets, instance: this.instance, cluster: this.cluster,
      masterSecret: this.secret, proxy: this.proxy, proxyRole, iamAuth: props.proxyIamAuth ?? false, rotation,
      databaseName: props.databaseName, connectionLimit: (path) => this.budget._consumerDemand(path),
    });
    // The user manager logs in as the master user: its first run must not race the master secret's first rotation.
    if (users && masterRotation) masterRotation.node.addDependency(users.resource);
    this.managementSecurityGroups = [...(users ? [users.securityGroup] : []), ...(rotation ? [rotation.securityGroup] : [])];
    this.budget = new ConnectionBudget(this, 'Budget', {
      database: target,
      proxy: this.proxy,
      reservations: [
        ...props.reservations ?? [],
        ...(users ? [{ name: USER_MANAGER_RESERVATION, connections: 1, clients: [users.securityGroup] }] : []),
        ...(rotation ? [{ name: SECRET_ROTATION_RESERVATION, connections: 1, clients: [rotation.securityGroup] }] : []),
      ],
      warningThresholdPercent: props.warningThresholdPercent,
      deployInWaves: props.deployInWaves,
      pendingRebootCheck: props.pendingRebootCheck,
    });
    if (users) this.budget._useDatabaseUsers(users);
    this.userManager = users?.resource;
    this.budget._deriveProxyMaxConnectionsPercent();
    if (serverless && defaultMaxConnections) {
      this.budget._maxConnectionsFollowServerlessV2({ path: this.node.path, ...serverless });
      if (!SERVERLESS_V2_MAX_CONNECTIONS.some((row) => row.maxCapacityAcu === serverless.maxCapacityAcu)) {
        this.warnUnpublishedMaximum(kind, serverless, defaultMaxConnections);
      }
    }
    const targetGroup = this.proxy.node.findChild('ProxyTargetGroup') as rds.CfnDBProxyTargetGroup;
    const pool = targetGroup.connectionPoolConfigurationInfo as rds.CfnDBProxyTargetGroup.ConnectionPoolConfigurationInfoFormatProperty;
    targetGroup.connectionPoolConfigurationInfo = {
      ...pool,
      maxConnectionsPercent: Lazy.number({ produce: () => this.derivedMaxConnectionsPercent() }),
    };

    // max_connections is static: a change waits for a reboot (SOURCES.rdsStaticParameters).
    Annotations.of(this).addWarningV2(`CB-MAX-CONNECTIONS-REBOOT-${maxConnections}`,
      `max_connections is a static parameter: a new value (now ${maxConnections}) takes effect only when '${forTerminal((this.instance ?? this.cluster)!.node.path)}' reboots, `
      + 'and until then the old value holds while the proxy and the pools already follow the new one. After deploying a change, reboot '
      + `(the parameter group shows pending-reboot), then acknowledge CB-MAX-CONNECTIONS-REBOOT-${maxConnections} on this construct.`);
  }

  /**
   * Between the maximums AWS publishes, Aurora's own max_connections is unknown: the parameter group gets the value of the
   * nearest published maximum below, which may be less than Aurora would allow. Says so, with the ways to another value.
   */
  private warnUnpublishedMaximum(kind: EngineKind, capacity: { minCapacityAcu: number; maxCapacityAcu: number }, written: MaxConnections): void {
    const { minCapacityAcu, maxCapacityAcu } = capacity;
    const valueAt = (acu: number) => estimateMaxConnections(kind, { kind: 'serverless-v2', minCapacityAcu, maxCapacityAcu: acu })!.value;
    const published = SERVERLESS_V2_MAX_CONNECTIONS.map((row) => row.maxCapacityAcu);
    const below = [...published].reverse().find((acu) => acu < maxCapacityAcu);
    const above = published.find((acu) => acu > maxCapacityAcu);
    // The row below keeps the value at a smaller maximum; the row above is worth naming only when it gives more.
    const choices = [
      ...(below !== undefined && below >= minCapacityAcu ? [below] : []),
      ...(above !== undefined && valueAt(above) > written.value ? [above] : []),
    ].map((acu, i) => `${acu} ACU (${i === 0 ? 'max_connections ' : ''}${valueAt(acu)})`);
    Annotations.of(this).addWarningV2(SERVERLESS_V2_UNPUBLISHED_MAXIMUM,
      `The parameter group of '${forTerminal(this.node.path)}' gets max_connections ${written.value}, the ${ENGINE_NAMES[kind]} value for ${written.basis}. `
      + `Aurora's own value at ${maxCapacityAcu} ACU is not published and may be higher. Pass maxConnections to set one explicitly`
      + `${choices.length > 0 ? `, or set serverlessV2MaxCapacityAcu to a published maximum: ${listOf(choices, 'or')}` : ''}; `
      + `or acknowledge ${SERVERLESS_V2_UNPUBLISHED_MAXIMUM} on this construct to keep ${written.value}.`);
  }

  private derivedMaxConnectionsPercent(): number {
    // Without a known max_connections (a parameter changed to a token) the budget fails synth with the reason;
    // CDK may resolve this value before it validates, so it gets RDS Proxy's default, which never deploys.
    return this.budget._evaluation().capacity?.proxy?.maxConnectionsPercent ?? PROXY_DEFAULT_MAX_CONNECTIONS_PERCENT;
  }

  /** The message names paths from the app, and `cdk synth` prints it to a terminal. */
  private error(message: string): Error {
    return new ConstructInputError(forTerminalLines(`BudgetedDatabase '${forTerminal(this.node.path)}': ${message}`));
  }
}

function budgetedDatabaseProblems(props: BudgetedDatabaseProps, kind: EngineKind | undefined, engineType: string | undefined): string[] {
  const problems: string[] = unknownKeyProblems(props, 'BudgetedDatabaseProps', 'property');
  if ((props.instanceEngine === undefined) === (props.clusterEngine === undefined)) {
    problems.push('give exactly one of instanceEngine (an RDS DB instance) and clusterEngine (an Aurora cluster)');
  } else if (!kind) {
    problems.push(`engine '${engineType}' is not supported; supported: ${SUPPORTED_ENGINE_TYPES.join(', ')}`);
  }
  problems.push(
    ...wholeNumberProblem('maxConnections', props.maxConnections, 1, kind ? MAX_SETTABLE_MAX_CONNECTIONS[kind] : LARGEST_MAX_CONNECTIONS),
    ...wholeNumberProblem('readers', props.readers, 0, AURORA_MAX_READERS),
    ...wholeNumberProblem('allocatedStorageGiB', props.allocatedStorageGiB, MIN_ALLOCATED_STORAGE_GIB),
  );
  if (props.clusterEngine && (props.multiAz !== undefined || props.allocatedStorageGiB !== undefined)) {
    problems.push('multiAz and allocatedStorageGiB apply to an RDS DB instance; an Aurora cluster gets its availability from readers and sizes its storage itself');
  }
  if (props.instanceEngine && props.readers !== undefined) {
    problems.push('readers apply to an Aurora cluster; use multiAz for an RDS DB instance');
  }
  const serverlessGiven = props.serverlessV2MinCapacityAcu !== undefined || props.serverlessV2MaxCapacityAcu !== undefined;
  if (serverlessGiven && props.instanceEngine) {
    problems.push('serverlessV2MinCapacityAcu and serverlessV2MaxCapacityAcu apply to an Aurora cluster (clusterEngine); size an RDS DB instance with instanceType');
  } else if (serverlessGiven && props.clusterEngine) {
    problems.push(...serverlessV2Problems(props));
  }
  const postgres = isPostgresEngine(kind);
  if (kind && !postgres && (props.idleInTransactionSessionTimeout || props.statementTimeout)) {
    problems.push('idleInTransactionSessionTimeout and statementTimeout are PostgreSQL parameters; set MySQL timeouts in parameters');
  }
  const managed = Object.keys(props.parameters ?? {}).filter((name) => MANAGED_PARAMETERS.includes(name));
  if (managed.length > 0) {
    problems.push(`parameters may not set ${managed.join(', ')}: the construct manages them (use maxConnections, idleInTransactionSessionTimeout or statementTimeout)`);
  }
  return problems;
}

/** The Serverless v2 capacity of an Aurora cluster: Aurora's bounds, and a maximum that sets the default max_connections. */
function serverlessV2Problems(props: BudgetedDatabaseProps): string[] {
  const min = props.serverlessV2MinCapacityAcu;
  const max = props.serverlessV2MaxCapacityAcu;
  const problems: string[] = [];
  if (props.instanceType) {
    problems.push('instanceType and the Serverless v2 capacity both size the instances: give instanceType for provisioned instances, '
      + 'or serverlessV2MaxCapacityAcu (and serverlessV2MinCapacityAcu) for Aurora Serverless v2, not both');
  }
  if (max === undefined) {
    problems.push(`serverlessV2MinCapacityAcu ${describeNumber(min)} needs serverlessV2MaxCapacityAcu: the maximum capacity makes the instances `
      + 'Aurora Serverless v2 and sets their max_connections');
  }
  const maxConnectionsGiven = props.maxConnections !== undefined;
  problems.push(
    ...capacityProblem('serverlessV2MinCapacityAcu', min, SERVERLESS_V2_LOWEST_MINIMUM_ACU, maxConnectionsGiven),
    ...capacityProblem('serverlessV2MaxCapacityAcu', max, SERVERLESS_V2_LOWEST_MAXIMUM_ACU, maxConnectionsGiven),
  );
  if (min !== undefined && max !== undefined && !Token.isUnresolved(min) && !Token.isUnresolved(max) && min > max) {
    problems.push(`serverlessV2MinCapacityAcu ${min} is above serverlessV2MaxCapacityAcu ${max}: raise the maximum to at least ${min}, or lower the minimum to at most ${max}`);
  }
  return problems;
}

/**
 * A capacity Aurora accepts: from `lowest` to the largest in half-ACU steps. A token is unknown until deploy, and with it
 * the default max_connections, unless maxConnections is given.
 */
function capacityProblem(name: string, value: number | undefined, lowest: number, maxConnectionsGiven: boolean): string[] {
  if (value === undefined) return [];
  if (Token.isUnresolved(value)) {
    return maxConnectionsGiven ? [] : [`${name} is a token, so the capacity, and with it the default max_connections, is unknown until deploy; `
      + 'give it as a literal number, or pass maxConnections'];
  }
  const accepted = Number.isInteger(value / SERVERLESS_V2_CAPACITY_STEP_ACU) && value >= lowest && value <= SERVERLESS_V2_HIGHEST_CAPACITY_ACU;
  return accepted ? [] : [`${name} must be from ${lowest} to ${SERVERLESS_V2_HIGHEST_CAPACITY_ACU} ACU in steps of ${SERVERLESS_V2_CAPACITY_STEP_ACU}, got ${value}`];
}
