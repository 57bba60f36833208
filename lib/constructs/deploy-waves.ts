import { aws_ecs as ecs, CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { compareText } from '../budget';

/** An ECS service a budget may chain: its path and its CfnService. */
export interface ChainCandidate {
  readonly path: string;
  readonly resource: CfnResource;
}

/** The services a budget chains, sorted by path. */
export interface ChainMembers {
  readonly services: readonly ChainCandidate[];
}

/**
 * The registered services a budget deploys in waves: every one whose deployments CloudFormation runs. The others count at
 * their own peak, and the ledger shows them without a wave.
 */
export function chainMembers(candidates: readonly ChainCandidate[]): ChainMembers {
  return { services: candidates.filter((c) => deployedByCloudFormation(c.resource)).sort((a, b) => compareText(a.path, b.path)) };
}

/**
 * Makes each service deploy after the one before it: DependsOn within a stack (CloudFormation updates a resource after
 * those it depends on, and by default waits for an ECS service to stabilize: SOURCES.cloudFormationParallelUpdates,
 * SOURCES.cloudFormationExpressMode), a stack dependency across stacks (cdk deploy and CDK Pipelines deploy a stack after
 * those it depends on: SOURCES.cdkPipelinesStackOrder). The
 * order: stacks after every stack they depend on, else by path; within a stack after the services each already waits for
 * through DependsOn, else by path. Called once CDK has prepared the app (its references have added their stack
 * dependencies, its `node.addDependency` calls their DependsOn), so the dependencies it adds go the way the existing ones
 * allow and close no cycle; a reference between two services of a stack (a Ref or GetAtt, which CloudFormation follows
 * but CDK does not record as a dependency) still can, and the verification reports it. Returns what keeps the chain from being made.
 */
export function applyChain(budget: IConstruct, members: ChainMembers): string[] {
  const budgetPath = budget.node.path;
  const stageName = (stage: Stage | undefined) => `'${stage?.node.path || '(the app)'}'`;
  // Every service must be in the budget's own stage: CDK synthesizes a stage nested in the budget's before it validates
  // the budget's own, so a DependsOn added then would be missing from the templates already written; and services of
  // several stages would deploy on their own anyway.
  const own = Stage.of(budget);
  const elsewhere = members.services.filter((s) => Stage.of(s.resource) !== own);
  if (elsewhere.length > 0) {
    return [`deployInWaves chains only services of the budget's own stage (${stageName(own)}): ${elsewhere.map((s) => `'${s.path}'`).join(', ')} `
      + `${elsewhere.length === 1 ? 'is' : 'are'} in the stage ${stageName(Stage.of(elsewhere[0].resource))}, whose templates CDK writes before the `
      + 'budget\'s stage is validated, when the chain is made; define the budget in that stage, or leave deployInWaves off'];
  }
  const byStack = new Map<Stack, ChainCandidate[]>();
  for (const service of members.services) {
    const stack = Stack.of(service.resource);
    byStack.set(stack, [...(byStack.get(stack) ?? []), service]);
  }
  const ordered: ChainCandidate[] = [];
  const remaining = [...byStack.keys()].sort((a, b) => compareText(a.node.path, b.node.path));
  while (remaining.length > 0) {
    // The first stack by path that waits for none of the others left: stack dependencies form no cycle, so one exists.
    const index = remaining.findIndex((stack) => !remaining.some((other) => other !== stack && dependsOn(stack, other)));
    const [next] = remaining.splice(index, 1);
    ordered.push(...inStackOrder(byStack.get(next)!));
  }
  ordered.forEach((service, i) => {
    if (i === 0) return;
    const previous = ordered[i - 1];
    const stack = Stack.of(service.resource);
    const previousStack = Stack.of(previous.resource);
    if (stack === previousStack) {
      service.resource.addResourceDependency(previous.resource);
    } else {
      stack.addStackDependency(previousStack, `ConnectionBudget '${budgetPath}' deploys '${service.path}' after '${previous.path}' (deployInWaves)`);
    }
  });
  return [];
}

/**
 * The services of one stack (sorted by path), each after every one it already waits for through DependsOn (a
 * `node.addDependency` between services among them), directly or through other resources; else by path. A DependsOn
 * the other way round would close a loop CloudFormation refuses.
 */
function inStackOrder(services: readonly ChainCandidate[]): ChainCandidate[] {
  const waitsFor = new Map(services.map((s) => [s, dependenciesOf(s.resource)]));
  const left = [...services];
  const ordered: ChainCandidate[] = [];
  while (left.length > 0) {
    // Existing DependsOn form no loop (CloudFormation would refuse the stack): one is free. Were there one, path order.
    const free = left.findIndex((s) => !left.some((other) => other !== s && waitsFor.get(s)!.has(other.resource)));
    ordered.push(...left.splice(Math.max(free, 0), 1));
  }
  return ordered;
}

/** The resources of its stack a resource waits for through DependsOn, any number of steps. */
function dependenciesOf(resource: CfnResource): ReadonlySet<CfnResource> {
  const seen = new Set<CfnResource>();
  const queue = [resource];
  for (let next = queue.pop(); next; next = queue.pop()) {
    for (const dependency of next.obtainDependencies()) {
      if (dependency instanceof CfnResource && !seen.has(dependency)) {
        seen.add(dependency);
        queue.push(dependency);
      }
    }
  }
  return seen;
}

/**
 * Whether CloudFormation runs the service's deployments: not with a CODE_DEPLOY or EXTERNAL controller
 * (SOURCES.ecsDeploymentController), nor with one known only at deploy time.
 */
function deployedByCloudFormation(resource: CfnResource): boolean {
  const controller = (resource as ecs.CfnService).deploymentController;
  if (controller === undefined) return true;
  const type = Token.isUnresolved(controller) ? controller : (controller as ecs.CfnService.DeploymentControllerProperty).type;
  return type === undefined || type === 'ECS';
}

/** Whether `stack` waits for `other`, directly or through other stacks. */
function dependsOn(stack: Stack, other: Stack, seen = new Set<Stack>()): boolean {
  for (const dependency of stack.dependencies) {
    if (dependency === other) return true;
    if (seen.has(dependency)) continue;
    seen.add(dependency);
    if (dependsOn(dependency, other, seen)) return true;
  }
  return false;
}
