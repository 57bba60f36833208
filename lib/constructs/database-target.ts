import { aws_rds as rds } from 'aws-cdk-lib';
import type { ConnectionBudgetFromAllocationProps } from './allocation-source';

/**
 * The database whose connections a budget divides.
 */
export class DatabaseTarget {
  /**
   * An RDS DB instance. max_connections is read from its parameter group, or estimated from its class.
   */
  public static fromInstance(instance: rds.IDatabaseInstance): DatabaseTarget {
    return new DatabaseTarget(instance, undefined);
  }

  /**
   * An Aurora DB cluster. The budget plans with the smallest max_connections of its instances,
   * because a failover can promote any of them to writer.
   */
  public static fromCluster(cluster: rds.IDatabaseCluster): DatabaseTarget {
    return new DatabaseTarget(undefined, cluster);
  }

  /**
   * Another app's allocation, for ConnectionBudget.fromAllocation.
   * @internal
   */
  public static _fromAllocation(props: ConnectionBudgetFromAllocationProps): DatabaseTarget {
    return new DatabaseTarget(undefined, undefined, props);
  }

  /** @internal */
  public readonly _instance?: rds.IDatabaseInstance;
  /** @internal */
  public readonly _allocation?: ConnectionBudgetFromAllocationProps;
  /** @internal */
  public readonly _cluster?: rds.IDatabaseCluster;

  private constructor(instance: rds.IDatabaseInstance | undefined, cluster: rds.IDatabaseCluster | undefined, allocation?: ConnectionBudgetFromAllocationProps) {
    this._instance = instance;
    this._cluster = cluster;
    this._allocation = allocation;
  }
}
