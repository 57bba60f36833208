import { compareText, LedgerDifference, LedgerWavesJson, WaveMembership } from '../budget';
import { locate, TYPES } from './budget-resources';
import { literalText, referencesIn } from './intrinsics';
import { record, StackTemplate, TemplateResource, TemplateSet } from './template-set';
import { field } from './values';

/** The chain a ledger claims, as the templates deploy it: who surges one at a time, and each link they do not hold. */
export interface ReadChain {
  /** By the service's resource: the chain it deploys in (a run of linked services) and its path. */
  readonly membership: ReadonlyMap<TemplateResource, WaveMembership>;
  readonly differences: readonly LedgerDifference[];
}

/**
 * Reads a budget's chain back from the templates. The ledger names the services; the templates say the order. A service
 * deploys after another when its DependsOn or references lead to it within a stack (directly or through other resources),
 * or when its stack depends on the other's stack (a cloud assembly's manifest says so). Exported templates record no stack
 * dependencies: there a link across stacks is taken from the ledger, which the synth-time verification checked against
 * the assembly the stacks were deployed from. The services are put in that order (ties by path) and a link the
 * templates do not hold splits the chain there: each run surges on its own, named after its first service by path. A
 * service CloudFormation does not deploy (a CODE_DEPLOY or EXTERNAL controller) leaves the chain and counts at its peak.
 */
export function readChain(budgetPath: string, waves: LedgerWavesJson | null | undefined, set: TemplateSet): ReadChain {
  const membership = new Map<TemplateResource, WaveMembership>();
  const differences: LedgerDifference[] = [];
  const services: Array<{ path: string; resource: TemplateResource }> = [];
  for (const service of waves?.services ?? []) {
    const located = locate(set, service.resource);
    // A missing service is reported where its consumer is gathered; here it only leaves the chain.
    if (located.kind !== 'found' || located.resource.type !== TYPES.service) continue;
    const outside = deployedOutsideCloudFormation(located.resource);
    if (outside) {
      differences.push({ subject: service.path, what: `how '${service.path}' deploys`, ledger: 'by CloudFormation, in the chain of deployInWaves', templates: outside });
    } else {
      services.push({ path: service.path, resource: located.resource });
    }
  }
  const after = new Order(set);
  const ordered = deploymentOrder(services, after);
  let run: Array<{ path: string; resource: TemplateResource }> = [];
  const close = () => {
    const name = run.map((s) => s.path).sort(compareText)[0];
    for (const s of run) membership.set(s.resource, { chain: name, service: s.path });
    run = [];
  };
  for (const service of ordered) {
    const previous = run[run.length - 1];
    if (previous && after.waitsFor(previous.resource, service.resource)) {
      differences.push({
        subject: budgetPath, what: `the deployment order of '${service.path}' and '${previous.path}'`, ledger: 'one after the other (deployInWaves)',
        templates: 'each waits for the other, a circular dependency CloudFormation refuses',
        fix: `Remove what makes '${previous.path}' wait for '${service.path}' (a Ref or GetAtt of it, which the chain cannot see when it orders `
          + 'the services), or leave deployInWaves off.',
      });
    }
    if (previous && !after.waitsFor(service.resource, previous.resource)) {
      differences.push({
        subject: budgetPath,
        what: `the deployment order of '${service.path}'`,
        ledger: `after '${previous.path}' (deployInWaves)`,
        templates: `not after it: ${service.resource.stack === previous.resource.stack
          ? `neither its DependsOn nor its references lead to '${previous.path}'`
          : `stack '${stackName(service.resource.stack)}' does not depend on stack '${stackName(previous.resource.stack)}'`}; `
          + 'both services can surge at once, so the chain earns no credit there',
        // The budget makes the links while CDK validates the app: what removed one came later, or validation did not run.
        fix: 'Keep the DependsOn and stack dependencies deployInWaves adds (no override or Aspect that removes them), and synthesize with '
          + 'validation: the budget chains the services while CDK validates the app, which app.synth({ skipValidation: true }) skips.',
      });
      close();
    }
    run.push(service);
  }
  close();
  return { membership, differences };
}

/** The services in the order the templates deploy them: each after every one it waits for, ties by path. */
function deploymentOrder<T extends { path: string; resource: TemplateResource }>(services: readonly T[], order: Order): T[] {
  const left = [...services].sort((a, b) => compareText(a.path, b.path));
  // Each service's predecessors among the others, once: n² questions, not n³.
  const waitingFor = new Map(left.map((s) => [s, new Set(left.filter((other) => other !== s && order.waitsFor(s.resource, other.resource)))]));
  const ordered: T[] = [];
  while (left.length > 0) {
    // A circular wait leaves no service free; the first by path then goes first, and the loop is reported.
    const free = left.findIndex((s) => waitingFor.get(s)!.size === 0);
    const [next] = left.splice(Math.max(free, 0), 1);
    ordered.push(next);
    for (const s of left) waitingFor.get(s)!.delete(next);
  }
  return ordered;
}

/** Which resource's update waits for which, memoized per resource. */
class Order {
  private readonly reach = new Map<TemplateResource, ReadonlySet<string>>();

  public constructor(private readonly set: TemplateSet) {}

  /** Between stacks of unknown dependencies: by stack name, so the stacks keep one order and their link holds. */
  private unknownOrder(later: TemplateResource, earlier: TemplateResource): boolean {
    return compareText(stackName(earlier.stack), stackName(later.stack)) < 0;
  }

  /** Whether CloudFormation's update of `later` waits for `earlier` to finish. */
  public waitsFor(later: TemplateResource, earlier: TemplateResource): boolean {
    if (later.stack !== earlier.stack) {
      // Exported templates: the order between two stacks is unknown, and the ledger's chain is taken as it was verified.
      if (later.stack.dependencies === undefined || earlier.stack.dependencies === undefined) return this.unknownOrder(later, earlier);
      return stackDependsOn(this.set, later.stack, earlier.stack, new Set());
    }
    let reached = this.reach.get(later);
    if (!reached) {
      reached = reachable(later.stack, later.logicalId);
      this.reach.set(later, reached);
    }
    return reached.has(earlier.logicalId);
  }
}

function stackName(stack: StackTemplate): string {
  return stack.path ?? stack.name;
}

/** The resources of its template a resource waits for: through DependsOn and references, any number of steps. */
function reachable(stack: StackTemplate, from: string): ReadonlySet<string> {
  const resources = record(stack.template.Resources);
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const body = record(resources[queue.shift()!]);
    const dependsOn = Array.isArray(body.DependsOn) ? body.DependsOn : [body.DependsOn];
    const next = [
      ...dependsOn.filter((d): d is string => typeof d === 'string'),
      ...referencesIn(body.Properties).flatMap((r) => (r.kind === 'resource' ? [r.logicalId] : [])),
    ];
    for (const id of next) {
      if (!seen.has(id) && id in resources) {
        seen.add(id);
        queue.push(id);
      }
    }
  }
  return seen;
}

function stackDependsOn(set: TemplateSet, stack: StackTemplate, other: StackTemplate, seen: Set<StackTemplate>): boolean {
  for (const path of stack.dependencies ?? []) {
    const dependency = set.stack({ stack: path, stackName: path });
    if (!dependency || seen.has(dependency)) continue;
    if (dependency === other) return true;
    seen.add(dependency);
    if (stackDependsOn(set, dependency, other, seen)) return true;
  }
  return false;
}

/** Why CloudFormation does not run the service's deployments (its deployment controller), or undefined when it does. */
function deployedOutsideCloudFormation(service: TemplateResource): string | undefined {
  const controller = field(service.properties, 'DeploymentController');
  if (controller === undefined) return undefined;
  const type = field(controller, 'Type');
  if (type === undefined) return undefined;
  const text = literalText(type);
  if (text === 'ECS') return undefined;
  return text === undefined ? 'its DeploymentController Type is known only at deploy time'
    : `its DeploymentController Type is ${text}, which deploys it outside CloudFormation`;
}
