import { CfnDynamicReference, CfnDynamicReferenceService, CustomResource, Lazy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { GrantedAllocation } from '../private/granted-allocation';
import { guardProvider } from './guard-function';

/** The custom resource type of the allocation guard, as the templates show it. */
export const ALLOCATION_GUARD_TYPE = 'Custom::ConnectionBudgetAllocationGuard';

/** Properties of an {@link AllocationGuard}. */
export interface AllocationGuardProps {
  readonly granted: GrantedAllocation;
  /** The team budget's worst case, known once the budget is computed. */
  readonly worstCase: () => number;
}

/**
 * Fails a team app's deployment, before any consumer updates (they depend on it), when its worst case exceeds the live
 * allocation: CloudFormation resolves the record's SSM parameter (a dynamic reference) when it deploys the guard, so
 * an allocation the owning app shrank after the team cached it is seen. CloudFormation updates the guard whenever
 * the worst case or the cached allocation changes; a deployment that changes neither changes no pool either.
 * Its function needs no permission beyond its logs: CloudFormation reads the parameter.
 */
export class AllocationGuard extends Construct {
  public readonly resource: CustomResource;

  public constructor(scope: Construct, id: string, props: AllocationGuardProps) {
    super(scope, id);
    const { granted } = props;
    const { provider } = guardProvider(this, 'allocation-guard-handler',
      `Fails a deployment whose connection budget exceeds the allocation ${granted.name} of ${granted.owningBudgetPath}`);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: ALLOCATION_GUARD_TYPE,
      properties: {
        BudgetPath: scope.node.path,
        OwningBudgetPath: granted.owningBudgetPath,
        AllocationName: granted.name,
        ParameterName: granted.parameterName,
        Record: new CfnDynamicReference(CfnDynamicReferenceService.SSM, granted.parameterName).toString(),
        WorstCase: Lazy.string({ produce: () => String(props.worstCase()) }),
        SynthesizedConnections: String(granted.record.connections),
      },
    });
  }
}
