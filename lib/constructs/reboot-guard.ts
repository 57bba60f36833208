import { ArnFormat, aws_iam as iam, aws_rds as rds, CustomResource, Lazy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { guardProvider } from './guard-function';

/** The custom resource type of the pending-reboot guard, as the templates show it. */
export const REBOOT_GUARD_TYPE = 'Custom::ConnectionBudgetRebootGuard';

/** Properties of a {@link RebootGuard}. */
export interface RebootGuardProps {
  readonly instance?: rds.IDatabaseInstance;
  readonly cluster?: rds.IDatabaseCluster;
  /** The budget's worst case and the max_connections it assumes, known once the budget is computed. */
  readonly worstCase: () => number;
  readonly maxConnections: () => number;
}

/**
 * Fails a deployment of the owning app whose consumers grow while the database has not applied its parameter group
 * (RDS reports `pending-reboot` after a static parameter such as max_connections changes): the budget already counts
 * the new max_connections, the database does not have it yet. Consumers depend on it, and it depends on the database,
 * so it runs after the parameter group changed and before any consumer grows. Its function may only describe this
 * database's instances (and cluster).
 */
export class RebootGuard extends Construct {
  public readonly resource: CustomResource;

  public constructor(scope: Construct, id: string, props: RebootGuardProps) {
    super(scope, id);
    const { fn, provider } = guardProvider(this, 'reboot-guard-handler',
      `Fails a deployment whose connection budget grows while max_connections of ${(props.instance ?? props.cluster)!.node.path} waits for a reboot`);
    const stack = Stack.of(this);
    const instances = props.instance ? [props.instance.instanceIdentifier] : (props.cluster as rds.DatabaseCluster).instanceIdentifiers ?? [];
    const arn = (resource: 'db' | 'cluster', name: string) => stack.formatArn({ service: 'rds', resource, resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: instances.map((i) => arn('db', i)) }));
    if (props.cluster) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['rds:DescribeDBClusters'], resources: [arn('cluster', props.cluster.clusterIdentifier)] }));
    }
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: REBOOT_GUARD_TYPE,
      properties: {
        BudgetPath: scope.node.path,
        WorstCase: Lazy.string({ produce: () => String(props.worstCase()) }),
        MaxConnections: Lazy.string({ produce: () => String(props.maxConnections()) }),
        DbInstanceIdentifiers: instances,
        ...(props.cluster ? { DbClusterIdentifier: props.cluster.clusterIdentifier } : {}),
      },
    });
    this.node.addDependency((props.instance ?? props.cluster)!);
  }
}
