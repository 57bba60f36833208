import {
  aws_applicationautoscaling as appscaling, aws_ecs as ecs, DefaultTokenResolver, IPostProcessor, IResolvable, IResolveContext, Reference, Stack,
  StringConcat, Tokenization,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EcsServiceShape } from '../budget';
import { ecsServiceShape, ShapeFacts } from '../template/ecs-service-shape';
import { referencesIn, textWithPlaceholders } from '../template/intrinsics';
import { stringValue } from '../template/values';
import { AppIndex } from './app-index';
import { ownerPath, resolved } from './l1';

/**
 * Reads the worst-case task count and deployment model of a service from its CfnService and every
 * CfnScalableTarget in the app that scales it. `maxTasksBound` stands in for values that are tokens.
 */
export function gatherEcsServiceFacts(service: ecs.BaseService, maxTasksBound: number | undefined, index: AppIndex): ShapeFacts<EcsServiceShape> {
  const cfn = service.node.defaultChild as ecs.CfnService;
  return ecsServiceShape({
    path: service.node.path,
    service: {
      DesiredCount: resolved(cfn, cfn.desiredCount),
      SchedulingStrategy: resolved(cfn, cfn.schedulingStrategy),
      DeploymentController: resolved(cfn, cfn.deploymentController),
      DeploymentConfiguration: resolved(cfn, cfn.deploymentConfiguration),
    },
    scalableTargets: scalableTargetsOf(cfn, index).map((t) => ({
      path: ownerPath(t),
      properties: { MaxCapacity: resolved(t, t.maxCapacity), ScheduledActions: resolved(t, t.scheduledActions) },
    })),
    maxTasksBound,
  });
}

/**
 * The scalable targets that scale a service: an ECS dimension whose ResourceId refers to the service (its name or
 * ARN, from any stack) or names it literally. A reference from another stack is told by the construct it refers to:
 * resolved in the service's stack it reads as a logical ID, which a service of another stack may share.
 */
export function scalableTargetsOf(cfn: ecs.CfnService, index: AppIndex): appscaling.CfnScalableTarget[] {
  const stack = Stack.of(cfn);
  const logicalId = stack.resolve(cfn.logicalId);
  const name = stringValue(resolved(cfn, cfn.serviceName));
  return index.ecsScalableTargetsIn(stack).filter(({ target, resourceId }) => {
    if (constructsReferencedBy(target).has(cfn)) return true;
    if (Stack.of(target) === stack && referencesIn(resourceId).some((r) => r.kind === 'resource' && r.logicalId === logicalId)) return true;
    // `service/<cluster>/<name>`: a literal last segment names the service, whatever makes the cluster's part.
    const text = textWithPlaceholders(resourceId);
    return name.kind === 'known' && text !== undefined && text.slice(text.lastIndexOf('/') + 1) === name.value;
  }).map(({ target }) => target);
}

/**
 * The constructs a scalable target's ResourceId refers to (Ref, an attribute, a name or ARN), at any depth: inside an
 * `Fn.join`, `Fn.select` or `Fn.split` too, which are each one token of the string. Once per target: every service
 * asks about every target of the app.
 */
function constructsReferencedBy(target: appscaling.CfnScalableTarget): ReadonlySet<IConstruct> {
  let referenced = referencedByTarget.get(target);
  if (!referenced) {
    const found = new Set<IConstruct>();
    const resolver = new class extends DefaultTokenResolver {
      public resolveToken(token: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): unknown {
        if (Reference.isReference(token)) found.add(token.target);
        return super.resolveToken(token, context, postProcessor);
      }
    }(new StringConcat());
    Tokenization.resolve(target.resourceId, { scope: target, resolver, preparing: false });
    referenced = found;
    referencedByTarget.set(target, referenced);
  }
  return referenced;
}

const referencedByTarget = new WeakMap<appscaling.CfnScalableTarget, ReadonlySet<IConstruct>>();
