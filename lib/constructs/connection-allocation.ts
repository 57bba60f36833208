import { aws_ec2 as ec2, aws_ssm as ssm, Lazy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ALLOCATION_RECORD_KIND, ALLOCATION_RECORD_VERSION, allocationParameterName, AllocationRecord, EngineKind, Route, RouteCredentials } from '../budget';
import type { ConnectionBudget } from './connection-budget';

/** Options of {@link ConnectionBudget.addAllocation}. */
export interface ConnectionAllocationOptions {
  /**
   * The team or app the connections are for: letters, digits, '-' and '_'. Names its client security group and its record.
   */
  readonly name: string;

  /**
   * How many connections through the proxy the allocation grants; the team's worst case must fit in them.
   *
   * @default - none: give either connections or share
   */
  readonly connections?: number;

  /**
   * A weighted share of the ceiling instead of a number: it divides what fixed pools leave with the budget's derived pools,
   * and is resolved to a number at synth (the record holds the number).
   *
   * @default - none: give either connections or share
   */
  readonly share?: AllocationShare;

  /**
   * The VPC the allocation's client security group is made in.
   *
   * @default - the database's VPC
   */
  readonly vpc?: ec2.IVpc;
}

/** An allocation granted as a weighted share of the owning budget's ceiling. */
export interface AllocationShare {
  /**
   * Its weight against the budget's derived pools, which count one unit of weight per connection of their worst case.
   *
   * @default 1
   */
  readonly weight?: number;

  /**
   * The fewest connections it grants; synth fails when the budget cannot hold them.
   */
  readonly minConnections: number;

  /**
   * The most connections it grants, however much room the budget has.
   */
  readonly maxConnections: number;
}

/** Properties of a {@link ConnectionAllocation}. */
export interface ConnectionAllocationProps extends ConnectionAllocationOptions {
  /**
   * The budget that grants the connections.
   */
  readonly budget: ConnectionBudget;
}

/**
 * What the budget gives an allocation to publish.
 * @internal
 */
export interface AllocationGrant {
  readonly budgetPath: string;
  readonly engine: EngineKind;
  readonly route: Route;
  readonly vpc: ec2.IVpc;
  /** The allocation's own database user and its secret, when the owning database gives each allocation one. */
  readonly credentials?: RouteCredentials;
  /** The proxy's IdleClientTimeout, a number or a token. */
  readonly proxyIdleClientTimeoutSeconds: number;
}

/**
 * Connections a budget grants to another team's or app's consumers: counted through the proxy like a reservation,
 * reached through a client security group the owning app creates (so every rule stays where the budget sees it), and
 * published as a versioned JSON record in SSM Parameter Store for the team's app to read.
 */
export class ConnectionAllocation extends Construct {
  /** The allocation's name. */
  public readonly allocationName: string;

  /** The connections granted: for a share, a number resolved when the budget computes (a token until then). */
  public readonly connections: number;

  /** The security group the team's consumers join; it has ingress to the proxy on the engine's port. */
  public readonly clientSecurityGroup: ec2.SecurityGroup;

  /** The name of the SSM parameter that holds the record. */
  public readonly recordParameterName: string;

  /** The SSM parameter that holds the record. */
  public readonly record: ssm.StringParameter;

  /** Grants the connections; `budget.addAllocation(...)` does the same. */
  public constructor(scope: Construct, id: string, props: ConnectionAllocationProps) {
    super(scope, id);
    const grant = props.budget._allocationGrant(props);
    this.allocationName = props.name;
    this.connections = props.share
      ? Lazy.number({ produce: () => props.budget._allocationConnections(props.name) })
      : props.connections!;
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc ?? grant.vpc,
      description: `Clients of the connection allocation ${props.name} of ${grant.budgetPath}`,
      // The team's consumers reach the proxy through this group; what else they reach is their own groups' business.
      allowAllOutbound: false,
    });
    this.recordParameterName = allocationParameterName(grant.budgetPath, props.name);
    const record: { [K in keyof AllocationRecord]: unknown } = {
      schemaVersion: ALLOCATION_RECORD_VERSION,
      kind: ALLOCATION_RECORD_KIND,
      budgetPath: grant.budgetPath,
      allocation: props.name,
      connections: this.connections,
      engine: grant.engine,
      proxyEndpoint: grant.route.host,
      port: Number(grant.route.port),
      databaseName: grant.route.databaseName ?? null,
      clientSecurityGroupId: this.clientSecurityGroup.securityGroupId,
      secretArn: grant.credentials?.secretArn ?? null,
      databaseUser: grant.credentials?.user ?? null,
      proxyIdleClientTimeoutSeconds: grant.proxyIdleClientTimeoutSeconds,
    };
    this.record = new ssm.StringParameter(this, 'Record', {
      parameterName: this.recordParameterName,
      description: `Connection allocation ${props.name} of ${grant.budgetPath} (connection-budget record, version ${ALLOCATION_RECORD_VERSION})`,
      stringValue: Stack.of(this).toJsonString(record),
    });
    props.budget._reserveAllocation(this, props.share);
  }
}
