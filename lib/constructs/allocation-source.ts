import { Duration } from 'aws-cdk-lib';
import { ConnectionReservation } from './consumer-options';

/** The attributes of an allocation, for a team's app that is given them instead of reading the owning app's record. */
export interface AllocationAttributes {
  /**
   * The connections the owning budget granted.
   */
  readonly connections: number;

  /**
   * The database engine: rds-postgresql, rds-mysql, rds-mariadb, aurora-postgresql or aurora-mysql.
   */
  readonly engine: string;

  /**
   * The owning app's proxy endpoint, where the consumers connect.
   */
  readonly proxyEndpoint: string;

  /**
   * The proxy's port.
   *
   * @default - the engine family's port: 5432 for PostgreSQL, 3306 for the MySQL family
   */
  readonly port?: number;

  /**
   * The ID of the client security group the owning app created for the allocation (`sg-...`); the consumers are placed in it.
   *
   * Written out, not a token: the budget checks at synth which resources of the app are placed in the group.
   */
  readonly clientSecurityGroupId: string;

  /**
   * The database's name, delivered with the endpoint.
   *
   * @default - none
   */
  readonly databaseName?: string;

  /**
   * The proxy's IdleClientTimeout; the pools close idle connections before it.
   *
   * @default Duration.minutes(30), RDS Proxy's default
   */
  readonly proxyIdleClientTimeout?: Duration;

  /**
   * The allocation's own database user (the owning app's record names it), delivered to the consumers with secretArn.
   *
   * @default - none: the consumers get no user from the budget
   */
  readonly databaseUser?: string;

  /**
   * The complete ARN of the allocation user's secret; the consumers' roles may read it (same account).
   *
   * @default - none
   */
  readonly secretArn?: string;
}

/** Properties of {@link ConnectionBudget.fromAllocation}. */
export interface ConnectionBudgetFromAllocationProps {
  /**
   * The construct path of the owning budget in the owning app, as its record names it: `Platform/Data/Budget`.
   */
  readonly owningBudgetPath: string;

  /**
   * The allocation's name, as the owning app granted it with addAllocation.
   */
  readonly allocationName: string;

  /**
   * The allocation's attributes, given in code.
   *
   * @default - read from the owning app's record in SSM Parameter Store at synth, through CDK's context lookup (cached in
   * cdk.context.json; the stack needs an explicit account and region)
   */
  readonly attributes?: AllocationAttributes;

  /**
   * Whether a custom resource compares the team's worst case with the live record at deploy time and fails the
   * deployment, before any consumer updates, when the allocation has shrunk below it.
   *
   * @default - true when the record is looked up, false when attributes are given
   */
  readonly deployTimeCheck?: boolean;

  /**
   * Connections of this app that no registered consumer counts (a migration job, an admin tool); they come out of
   * the allocation. Their clients join the allocation's client security group themselves.
   *
   * @default - none
   */
  readonly reservations?: ConnectionReservation[];

  /**
   * What must fit (fixed pools, and derived pools at their minimum) at or above this percentage of the allocation raises the CB-NEAR-CAPACITY warning.
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
}
