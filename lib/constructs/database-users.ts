import {
  aws_ec2 as ec2, aws_iam as iam, aws_rds as rds, aws_secretsmanager as secretsmanager, CustomResource, Duration, Lazy, Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { databaseUserName, EngineKind, isPostgresEngine, RDS_PROXY_MAX_SECRETS, RouteCredentials } from '../budget';
import { ConsumerBinding, ConsumerProblem } from './consumers/binding';
import { guardProvider } from './guard-function';
import { HTTPS_PORT, SecretRotation } from './secret-rotation';
import { ConstructInputError } from '../private/construct-input-error';

/** The custom resource type of the user manager, as the templates show it. */
export const DATABASE_USERS_TYPE = 'Custom::ConnectionBudgetDatabaseUsers';

/**
 * The PostgreSQL group role every consumer's user is a member of: grant the application's privileges to it once (in a
 * migration) and every consumer inherits them, none more.
 */
export const CONSUMER_GROUP_ROLE = 'cb_consumers';

/** The RDS certificate authorities the Lambda Node.js runtime ships, loaded only when asked (SOURCES.lambdaRdsCertificates). */
const LAMBDA_RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/** A new instance answers slowly at its first connection; a deployment with many users runs a few statements each. */
const USER_MANAGER_TIMEOUT = Duration.minutes(5);

/** Properties of {@link DatabaseUsers}. */
export interface DatabaseUsersProps {
  readonly engine: EngineKind;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly instance?: rds.DatabaseInstance;
  readonly cluster?: rds.DatabaseCluster;
  readonly masterSecret: secretsmanager.ISecret;
  readonly proxy: rds.DatabaseProxy;
  /** The proxy's role, which reads every user's secret. */
  readonly proxyRole: iam.IRole;
  /** Whether clients authenticate to the proxy with IAM (each consumer is granted rds-db:connect as its own user). */
  readonly iamAuth: boolean;
  /** Rotates each user's secret; undefined: no rotation. */
  readonly rotation?: SecretRotation;
  /** The database the MySQL users get privileges on. */
  readonly databaseName?: string;
  /** A consumer's worst case, known once the budget is computed: its user's connection limit. */
  readonly connectionLimit: (consumerPath: string) => number;
}

/** A consumer's or an allocation's user: its name, the secret its password lives in, and its connection limit. */
interface ConsumerUser {
  /** The consumer's path, or `<budget path>/allocation:<name>`. */
  readonly path: string;
  readonly name: string;
  readonly secret: secretsmanager.ISecret;
  readonly connectionLimit: () => number;
}

/**
 * Containment: each consumer connects as its own database user, whose connection limit is the consumer's worst case,
 * set by the database itself (design section 12). Each user has its own secret, registered with the proxy and readable
 * by the consumer's role, the proxy's and the user manager's; the library grants no consumer's role the master secret.
 * The user manager, a custom resource in the database's VPC, creates the users and sets their limits at every
 * deployment that changes them.
 */
export class DatabaseUsers extends Construct {
  /** The user manager's security group: a client of the database the budget counts. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly resource: CustomResource;
  private readonly handler: iam.IGrantable;
  private readonly users: ConsumerUser[] = [];
  private readonly props: DatabaseUsersProps;

  public constructor(scope: Construct, id: string, props: DatabaseUsersProps) {
    super(scope, id);
    this.props = props;
    const target = (props.instance ?? props.cluster)!;
    const manager = new ec2.SecurityGroup(this, 'ManagerSecurityGroup', {
      vpc: props.vpc, description: `Connection budget user manager of ${target.node.path}`, allowAllOutbound: false,
    });
    // Secrets Manager over HTTPS; the database's port is opened by the budget's reservation for this group.
    manager.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS_PORT), 'Secrets Manager');
    this.securityGroup = manager;

    const postgres = isPostgresEngine(props.engine);
    const { fn, provider } = guardProvider(this, postgres ? 'database-users-postgres' : 'database-users-mysql',
      `Creates the connection budget's database users of ${target.node.path} and sets their connection limits`, {
        vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: [manager], timeout: USER_MANAGER_TIMEOUT,
        environment: { NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE }, letsRollbacksThrough: false,
      });
    props.masterSecret.grantRead(fn);
    this.handler = fn;
    const endpoint = props.instance ? props.instance.instanceEndpoint : props.cluster!.clusterEndpoint;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: DATABASE_USERS_TYPE,
      properties: {
        DatabasePath: scope.node.path,
        Host: endpoint.hostname,
        Port: endpoint.port.toString(),
        DatabaseName: props.databaseName ?? '',
        MasterSecretArn: props.masterSecret.secretArn,
        Access: postgres ? CONSUMER_GROUP_ROLE : props.databaseName ?? '',
        Users: Lazy.string({
          produce: () => Stack.of(this).toJsonString(this.users.map((u) => ({
            name: u.name, secretArn: u.secret.secretArn, connectionLimit: u.connectionLimit(),
          }))),
        }),
      },
    });
    // The users can be made only once the database (an Aurora cluster's writer too) accepts connections.
    this.resource.node.addDependency(target);
    this.resource.node.addDependency(fn);

    // The proxy keeps the master user for admin and migrations through it, and learns each consumer's user.
    const proxy = props.proxy.node.defaultChild as rds.CfnDBProxy;
    const masterAuth = proxy.auth as rds.CfnDBProxy.AuthFormatProperty[];
    proxy.auth = Lazy.any({
      produce: () => [...masterAuth, ...this.users.map((u) => ({
        authScheme: 'SECRETS', iamAuth: props.iamAuth ? 'REQUIRED' : 'DISABLED', secretArn: u.secret.secretArn,
      }))],
    });
  }

  /**
   * Creates a consumer's user: its secret (rotated), readable by the consumer, the proxy and the user manager; with IAM
   * authentication, rds-db:connect as that user. Returns what the consumer connects as.
   */
  public credentialsFor(binding: ConsumerBinding): RouteCredentials {
    const user = this.addUser(binding.path, () => this.props.connectionLimit(binding.path), (problem) => new ConsumerProblem(problem));
    user.secret.grantRead(binding.grantee);
    if (this.props.iamAuth) this.props.proxy.grantConnect(binding.grantee, user.name);
    binding.resource.node.addDependency(this.resource);
    return { user: user.name, secretArn: user.secret.secretArn };
  }

  /**
   * Creates an allocation's user, limited to the allocation's connections: the team's consumers share it. They are in
   * another app, which grants its own roles read access to the secret (same account) from the published record.
   */
  public credentialsForAllocation(budgetPath: string, allocationName: string, connections: () => number): RouteCredentials {
    const path = `${budgetPath}/allocation:${allocationName}`;
    // addAllocation checks the grant before ConnectionAllocation takes it: both get the one user.
    const user = this.users.find((u) => u.path === path)
      ?? this.addUser(path, connections, (problem) => new ConstructInputError(`ConnectionBudget '${budgetPath}': addAllocation('${allocationName}'): ${problem}`));
    return { user: user.name, secretArn: user.secret.secretArn };
  }

  /** A user with its secret (attached to the database, rotated), readable by the proxy. */
  private addUser(path: string, connectionLimit: () => number, fail: (problem: string) => Error): ConsumerUser {
    if (this.users.length >= RDS_PROXY_MAX_SECRETS - 1) {
      throw fail(`the proxy '${this.props.proxy.node.path}' already holds the master secret and the secrets of ${this.users.length} users, `
        + `${RDS_PROXY_MAX_SECRETS} in all, the most one proxy accepts; put further consumers behind another BudgetedDatabase, or set consumerUsers: false.`);
    }
    const name = databaseUserName(this.props.engine, path);
    const clash = this.users.find((u) => u.name === name);
    if (clash) {
      throw fail(`its database user '${name}' is already the user of '${clash.path}'; give one of them another construct id.`);
    }
    const target = (this.props.instance ?? this.props.cluster)!;
    // A changed password rule replaces the secret (a new ARN), so the user manager sets the new password; changed in place,
    // the database would keep the old one.
    const secret = new rds.DatabaseSecret(this, name, { username: name, replaceOnPasswordCriteriaChanges: true }).attach(target);
    // Rotation starts as soon as its schedule exists, and logs in as the user: the user must exist by then.
    this.props.rotation?.rotate(secret, name).node.addDependency(this.resource);
    secret.grantRead(this.props.proxyRole);
    // The user manager sets the user's password from it.
    secret.grantRead(this.handler);
    const user = { path, name, secret, connectionLimit };
    this.users.push(user);
    return user;
  }
}
