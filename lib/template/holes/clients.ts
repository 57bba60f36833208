import { UnbudgetedClient } from '../../budget';
import { eventTargets, familyPattern, TYPES } from '../budget-resources';
import { GatheredConsumer } from '../gather-consumers';
import { literalsIn } from '../intrinsics';
import { identity, identityText, TemplateResource, TemplateSet, textIdentity } from '../template-set';
import { field } from '../values';
import { dedupe, describeIdentity, isInert, Placement } from './placement';

/** Something that can run tasks or open connections: a resource that is not inert, or one EventBridge target. */
export interface Actor {
  readonly resource: TemplateResource;
  /** ` (target 'Target0')` for a rule's target. */
  readonly label: string;
  /** The identities of the resources its references lead to. */
  readonly refs: readonly string[];
  /** Its literal strings: IDs written as text (an imported security group), and names inside larger strings (a state machine's definition). */
  readonly texts: readonly string[];
  /** For an EventBridge target: what its EcsParameters run. */
  readonly runs?: readonly string[];
}

/** Every actor of the set. */
export function actorsOf(set: TemplateSet): Actor[] {
  const actors: Actor[] = [];
  for (const resource of set.all()) {
    if (isInert(resource) || resource.type === TYPES.rule || resource.type === TYPES.schedule || resource.type === TYPES.pipe) continue;
    actors.push({ resource, label: '', refs: set.resourceIdentitiesIn(resource.stack, resource.properties), texts: literalsIn(resource.properties) });
  }
  for (const target of eventTargets(set)) {
    actors.push({
      resource: target.resource, label: target.label, refs: set.resourceIdentitiesIn(target.resource.stack, target.target), texts: literalsIn(target.target),
      runs: set.identitiesIn(target.resource.stack, field(target.ecsParameters, 'TaskDefinitionArn')),
    });
  }
  return actors;
}

/**
 * The first identity among `ids` that an actor refers to, as TemplateSet.identitiesIn would list them: a resource, else a
 * literal (`literal:sg-0123`). Actors keep their references and texts apart, so that no literal of theirs (about 50 in a
 * task definition) is made into an identity string only to be looked up.
 */
export function firstIdentityIn(actor: Actor, ids: ReadonlySet<string>): string | undefined {
  const ref = actor.refs.find((id) => ids.has(id));
  if (ref !== undefined) return ref;
  const text = actor.texts.find((t) => ids.has(textIdentity(t)));
  return text === undefined ? undefined : textIdentity(text);
}

/** A task definition family as one word of text: what ECS allows in a family name. */
const FAMILY_WORD = /^[A-Za-z0-9_-]+$/;

/**
 * The words of `text` (runs of what a family name may hold) that have one of `lengths`. Found by scanning, so that only
 * a word that may be a family becomes a string: splitting every literal of the 1,000-consumer bench app into its words
 * allocated 28 of the 262 MB a read did.
 */
export function wordsOfLength(text: string, lengths: ReadonlySet<number>): string[] {
  const words: string[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && isFamilyCharacter(text.charCodeAt(i))) continue;
    if (lengths.has(i - start)) words.push(text.slice(start, i));
    start = i + 1;
  }
  return words;
}

/** `A-Z`, `a-z`, `0-9`, `_` and `-`, by character code. */
function isFamilyCharacter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95 || code === 45;
}

/**
 * Which actors run (or may start) each budgeted task definition: an actor refers to it, or writes its family name
 * inside a string, as a Step Functions definition does (`"TaskDefinition":"ServicesJobTaskC0C788CF"`). Found in one
 * pass over the actors with a map of families: testing every actor against every task definition took 1.4 s of a
 * 3 s report at 1,000 consumers (about 10,000 actors).
 */
export class TaskRuns {
  private readonly runners = new Map<TemplateResource, Set<Actor>>();
  private readonly anyRunner = new Set<Actor>();

  constructor(readonly actors: readonly Actor[], tasks: readonly TemplateResource[]) {
    // Two task definitions may share an identity (nested stacks of two stacks of one name): an actor runs both.
    const byIdentity = new Map<string, TemplateResource[]>();
    tasks.forEach((task) => byIdentity.set(identity(task), [...byIdentity.get(identity(task)) ?? [], task]));
    const byFamily = new Map<string, TemplateResource[]>();
    // A family that is not one word (no valid family, but a template may say anything) is matched by its pattern.
    const otherFamilies: { readonly task: TemplateResource; readonly pattern: RegExp }[] = [];
    for (const task of tasks) {
      const family = familyPattern(task);
      if (family === undefined) continue;
      if (FAMILY_WORD.test(family.name)) byFamily.set(family.name, [...byFamily.get(family.name) ?? [], task]);
      else otherFamilies.push({ task, pattern: family.pattern });
    }
    const familyLengths = new Set([...byFamily.keys()].map((family) => family.length));
    const shortestFamily = Math.min(...familyLengths);
    for (const actor of actors) {
      for (const id of actor.runs ?? actor.refs) byIdentity.get(id)?.forEach((task) => this.add(task, actor));
      for (const text of textsOf(actor)) {
        // Most literals (an action, a protocol) are shorter than any family: they are not scanned.
        if (text.length >= shortestFamily) for (const word of wordsOfLength(text, familyLengths)) byFamily.get(word)?.forEach((task) => this.add(task, actor));
        otherFamilies.forEach(({ task, pattern }) => pattern.test(text) && this.add(task, actor));
      }
    }
  }

  /** The actors that run a task definition, in the order of the actors. */
  runnersOf(task: TemplateResource): Actor[] {
    return [...this.runners.get(task) ?? []];
  }

  /** Whether an actor runs any of the task definitions. */
  runsAny(actor: Actor): boolean {
    return this.anyRunner.has(actor);
  }

  private add(task: TemplateResource, actor: Actor): void {
    const runners = this.runners.get(task) ?? new Set<Actor>();
    runners.add(actor);
    this.runners.set(task, runners);
    this.anyRunner.add(actor);
  }
}

/** Finds which actors run the budgeted task definitions of a placement. */
export function taskRunsOf(placement: Placement, actors: readonly Actor[]): TaskRuns {
  return new TaskRuns(actors, placement.consumers.flatMap((c) => (c.taskDefinition ? [c.taskDefinition] : [])));
}

/** The literal texts a family name may be written in: a resource's, or those of what an EventBridge target runs. */
function textsOf(actor: Actor): readonly string[] {
  return actor.runs ? actor.runs.flatMap((id) => identityText(id) ?? []) : actor.texts;
}

/** Resources in a consumer's, the proxy's or the database's security group that nothing counts. */
export function members(placement: Placement, consumerGroups: ReadonlySet<string>, runs: TaskRuns): UnbudgetedClient[] {
  const { set } = placement;
  const checked = new Set([...consumerGroups, ...placement.guarded.flatMap((g) => [...g.groups])]);
  const registered = new Set(placement.consumers.flatMap((c) => (c.resource && c.stored.kind !== 'ecs-task' ? [identity(c.resource)] : [])));
  const own = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  const found: UnbudgetedClient[] = [];
  for (const actor of runs.actors) {
    const { resource } = actor;
    if (registered.has(identity(resource)) || own.has(identity(resource))) continue;
    // A proxy's extra endpoint is the proxy: its security groups are guarded with the proxy's.
    if (resource.type === TYPES.proxyEndpoint && set.identitiesIn(resource.stack, field(resource.properties, 'DBProxyName')).some((id) => own.has(id))) continue;
    const group = firstIdentityIn(actor, checked);
    // Whatever runs a budgeted task definition (a rule target, a state machine) is judged as its launcher.
    if (group === undefined || runs.runsAny(actor)) continue;
    const guardedBy = placement.guarded.find((g) => g.groups.has(group));
    const path = `${set.pathOf(resource)}${actor.label}`;
    found.push({
      path,
      how: `is placed in ${guardedBy ? `the security group of '${guardedBy.path}'` : 'a consumer\'s security group'} (${describeIdentity(set, group)}), `
        + `which may connect to ${placement.guarded.map((g) => `'${g.path}'`).join(' and ')}`,
      fix: `Register '${set.pathOf(resource)}' with the budget (addEcsService, addEcsTask, addLambdaFunction), or give it a security group of its own.`,
    });
  }
  return dedupe(found, (f) => f.path);
}

/** The actors that run each budgeted task definition, besides the service it belongs to, by consumer. */
export function runnersOf(placement: Placement, runs: TaskRuns): Map<GatheredConsumer, Actor[]> {
  const runners = new Map<GatheredConsumer, Actor[]>();
  for (const consumer of placement.consumers) {
    const task = consumer.taskDefinition;
    if (!task) continue;
    const service = consumer.stored.kind === 'ecs-service' ? consumer.resource : undefined;
    runners.set(consumer, runs.runnersOf(task).filter((a) => a.resource !== task && a.resource !== service));
  }
  return runners;
}

/** Whatever runs a budgeted task definition without being counted: another service, a rule of a service's task, an unknown starter. */
export function launchers(placement: Placement, runners: ReadonlyMap<GatheredConsumer, readonly Actor[]>): UnbudgetedClient[] {
  const { set } = placement;
  const counted = new Set(placement.consumers.flatMap((c) => c.launchers.map((l) => `${identity(l.resource)}${l.label}`)));
  const found: UnbudgetedClient[] = [];
  for (const [consumer, actors] of runners) {
    const task = consumer.taskDefinition!;
    for (const actor of actors) {
      const path = `${set.pathOf(actor.resource)}${actor.label}`;
      if (consumer.stored.kind === 'ecs-service') {
        found.push({
          path,
          how: `runs the task definition '${set.pathOf(task)}' of the service '${consumer.stored.path}', whose connections are counted only for the service's tasks`,
          fix: `Give '${path}' a task definition of its own and register it with addEcsTask (or addEcsService).`,
        });
      } else if (actor.resource.type === TYPES.service || actor.resource.type === 'AWS::ECS::TaskSet') {
        found.push({
          path,
          how: `runs the task definition '${consumer.stored.path}' as a service, but the budget counts its runs only`,
          fix: 'Give the service a task definition of its own and register it with addEcsService.',
        });
      } else if (!counted.has(`${identity(actor.resource)}${actor.label}`) && consumer.stored.inputs?.bounds.tasksPerRun === null) {
        found.push({
          path,
          how: `can start tasks of '${consumer.stored.path}' (it refers to the task definition), and the budget cannot read how many`,
          fix: `Pass tasksPerRun to addEcsTask() for '${consumer.stored.path}': the most tasks one run starts, whatever starts it.`,
        });
      }
    }
  }
  return dedupe(found, (f) => `${f.path}|${f.how}`);
}
