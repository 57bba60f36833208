import {
  aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_events as events, aws_pipes as pipes, aws_rds as rds, aws_scheduler as scheduler, Stack,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ECS_DESIRED_COUNT_DIMENSION } from '../template/ecs-service-shape';
import { stringValue } from '../template/values';
import { resolved } from './l1';

/** A scalable target that may scale an ECS service, with its ResourceId as its own stack reads it. */
export interface EcsScalableTarget {
  readonly target: appscaling.CfnScalableTarget;
  readonly resourceId: unknown;
}

/**
 * The L1 resources of a whole app that decide a budget, collected in one walk of the tree:
 * resources that refer to each other by token (a scalable target to its service, an instance to
 * its parameter group) may live in any stack.
 */
export class AppIndex {
  public static of(scope: IConstruct): AppIndex {
    return new AppIndex(scope.node.root.node.findAll());
  }

  public readonly scalableTargets: readonly appscaling.CfnScalableTarget[];
  public readonly dbInstances: readonly rds.CfnDBInstance[];
  public readonly dbClusters: readonly rds.CfnDBCluster[];
  public readonly dbProxies: readonly rds.CfnDBProxy[];
  public readonly parameterGroups: readonly rds.CfnDBParameterGroup[];
  public readonly clusterParameterGroups: readonly rds.CfnDBClusterParameterGroup[];
  public readonly rules: readonly events.CfnRule[];
  public readonly schedules: readonly scheduler.CfnSchedule[];
  public readonly pipes: readonly pipes.CfnPipe[];
  public readonly securityGroups: readonly ec2.ISecurityGroup[];
  public readonly ingressRules: readonly ec2.CfnSecurityGroupIngress[];
  private ecsScalableTargetList?: readonly EcsScalableTarget[];

  private constructor(all: readonly IConstruct[]) {
    this.scalableTargets = all.filter((c): c is appscaling.CfnScalableTarget => c instanceof appscaling.CfnScalableTarget);
    this.dbInstances = all.filter((c): c is rds.CfnDBInstance => c instanceof rds.CfnDBInstance);
    this.dbClusters = all.filter((c): c is rds.CfnDBCluster => c instanceof rds.CfnDBCluster);
    this.dbProxies = all.filter((c): c is rds.CfnDBProxy => c instanceof rds.CfnDBProxy);
    this.parameterGroups = all.filter((c): c is rds.CfnDBParameterGroup => c instanceof rds.CfnDBParameterGroup);
    this.clusterParameterGroups = all.filter((c): c is rds.CfnDBClusterParameterGroup => c instanceof rds.CfnDBClusterParameterGroup);
    this.rules = all.filter((c): c is events.CfnRule => c instanceof events.CfnRule);
    this.schedules = all.filter((c): c is scheduler.CfnSchedule => c instanceof scheduler.CfnSchedule);
    this.pipes = all.filter((c): c is pipes.CfnPipe => c instanceof pipes.CfnPipe);
    // Imported groups too: a launcher may list one by ID, such as an allocation's client security group.
    this.securityGroups = all.filter((c): c is ec2.ISecurityGroup => ec2.SecurityGroup.isSecurityGroup(c));
    this.ingressRules = all.filter((c): c is ec2.CfnSecurityGroupIngress => c instanceof ec2.CfnSecurityGroupIngress);
  }

  /**
   * The scalable targets of an ECS dimension (or one that is a token), each ResourceId resolved in the target's own
   * stack, where a reference to a resource of that stack reads as its logical ID. Resolved once: an app of hundreds of
   * services has as many targets, and every service asks.
   */
  public ecsScalableTargets(): readonly EcsScalableTarget[] {
    this.ecsScalableTargetList ??= this.scalableTargets.filter((target) => {
      const dimension = stringValue(resolved(target, target.scalableDimension));
      return dimension.kind !== 'known' || dimension.value === ECS_DESIRED_COUNT_DIMENSION;
    }).map((target) => ({ target, resourceId: Stack.of(target).resolve(target.resourceId) }));
    return this.ecsScalableTargetList;
  }

  /** The parameter group an instance's `DBParameterGroupName` refers to, when it is defined in this app. */
  public parameterGroupNamed(name: string | undefined): rds.CfnDBParameterGroup | undefined {
    return name === undefined ? undefined : this.parameterGroups.find((g) => g.ref === name);
  }

  /** The cluster parameter group a cluster's `DBClusterParameterGroupName` refers to, when defined in this app. */
  public clusterParameterGroupNamed(name: string | undefined): rds.CfnDBClusterParameterGroup | undefined {
    return name === undefined ? undefined : this.clusterParameterGroups.find((g) => g.ref === name);
  }
}
