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
 * ARN, from any stack) or names it literally. A reference is told by the construct it refers to, or, read in the
 * target's own stack, by a logical ID of that stack (a service of another stack may share it, so only the target's
 * stack counts). Looked up in an index of the app's targets: comparing every service with every target grew with the
 * square of the app.
 */
export function scalableTargetsOf(cfn: ecs.CfnService, index: AppIndex): appscaling.CfnScalableTarget[] {
  const targets = targetIndexOf(index);
  const stack = Stack.of(cfn);
  const name = stringValue(resolved(cfn, cfn.serviceName));
  const places = new Set([
    ...targets.byReferenced.get(cfn) ?? [],
    ...targets.byLogicalId.get(stack)?.get(stack.resolve(cfn.logicalId)) ?? [],
    // `service/<cluster>/<name>`: a literal last segment names the service, whatever makes the cluster's part.
    ...(name.kind === 'known' ? targets.byServiceName.get(name.value) ?? [] : []),
  ]);
  return [...places].sort((a, b) => a - b).map((place) => targets.all[place].target);
}

/** The app's ECS scalable targets by what may name their service, each by its place among them (which orders them). */
interface TargetIndex {
  readonly all: ReturnType<AppIndex['ecsScalableTargets']>;
  /** By a construct the ResourceId refers to. */
  readonly byReferenced: ReadonlyMap<IConstruct, readonly number[]>;
  /** By the target's stack and a logical ID its ResourceId refers to there. */
  readonly byLogicalId: ReadonlyMap<Stack, ReadonlyMap<string, readonly number[]>>;
  /** By the literal last segment of the ResourceId. */
  readonly byServiceName: ReadonlyMap<string, readonly number[]>;
}

function targetIndexOf(index: AppIndex): TargetIndex {
  let found = targetIndexes.get(index);
  if (found) return found;
  const all = index.ecsScalableTargets();
  const byReferenced = new Map<IConstruct, number[]>();
  const byLogicalId = new Map<Stack, Map<string, number[]>>();
  const byServiceName = new Map<string, number[]>();
  const add = <K>(map: Map<K, number[]>, key: K, place: number) => {
    const places = map.get(key);
    if (places) places.push(place);
    else map.set(key, [place]);
  };
  all.forEach(({ target, resourceId }, place) => {
    constructsReferencedBy(target).forEach((construct) => add(byReferenced, construct, place));
    const stack = Stack.of(target);
    const ids = byLogicalId.get(stack) ?? new Map<string, number[]>();
    byLogicalId.set(stack, ids);
    referencesIn(resourceId).forEach((r) => r.kind === 'resource' && add(ids, r.logicalId, place));
    const text = textWithPlaceholders(resourceId);
    if (text !== undefined) add(byServiceName, text.slice(text.lastIndexOf('/') + 1), place);
  });
  found = { all, byReferenced, byLogicalId, byServiceName };
  targetIndexes.set(index, found);
  return found;
}

const targetIndexes = new WeakMap<AppIndex, TargetIndex>();

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
