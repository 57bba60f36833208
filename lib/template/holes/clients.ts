import { UnbudgetedClient } from '../../budget';
import { eventTargets, familyPattern, TYPES } from '../budget-resources';
import { GatheredConsumer } from '../gather-consumers';
import { literalsIn } from '../intrinsics';
import { identity, TemplateResource, TemplateSet } from '../template-set';
import { field } from '../values';
import { dedupe, describeIdentity, isInert, Placement } from './placement';

/** Something that can run tasks or open connections: a resource that is not inert, or one EventBridge target. */
export interface Actor {
  readonly resource: TemplateResource;
  /** ` (target 'Target0')` for a rule's target. */
  readonly label: string;
  /** What it refers to: resources, and every literal string. */
  readonly ids: readonly string[];
  /** Its literal strings, for names written inside larger strings (a state machine's definition). */
  readonly texts: readonly string[];
  /** For an EventBridge target: what its EcsParameters run. */
  readonly runs?: readonly string[];
}

/** Every actor of the set. */
export function actorsOf(set: TemplateSet): Actor[] {
  const actors: Actor[] = [];
  for (const resource of set.all()) {
    if (isInert(resource) || resource.type === TYPES.rule || resource.type === TYPES.schedule || resource.type === TYPES.pipe) continue;
    actors.push({ resource, label: '', ids: set.identitiesIn(resource.stack, resource.properties), texts: literalsIn(resource.properties) });
  }
  for (const target of eventTargets(set)) {
    actors.push({
      resource: target.resource, label: target.label, ids: set.identitiesIn(target.resource.stack, target.target), texts: literalsIn(target.target),
      runs: set.identitiesIn(target.resource.stack, field(target.ecsParameters, 'TaskDefinitionArn')),
    });
  }
  return actors;
}

/**
 * Whether an actor runs (or may start) a task definition: it refers to it, or writes its family name inside a string,
 * as a Step Functions definition does (`"TaskDefinition":"ServicesJobTaskC0C788CF"`).
 */
export function runsTask(actor: Actor, task: TemplateResource): boolean {
  if (referencesOf(actor).has(identity(task))) return true;
  const family = familyPattern(task);
  if (family === undefined) return false;
  const texts = textsOf(actor);
  // A substring test first: the word pattern runs only on the few actors whose texts mention the family at all.
  return texts.joined.includes(family.name) && texts.each.some((text) => family.pattern.test(text));
}

/** What an actor runs (or refers to), as a set: every actor is tested against every budgeted task definition. */
function referencesOf(actor: Actor): ReadonlySet<string> {
  let references = actorReferences.get(actor);
  if (!references) {
    references = new Set(actor.runs ?? actor.ids);
    actorReferences.set(actor, references);
  }
  return references;
}

const actorReferences = new WeakMap<Actor, ReadonlySet<string>>();

/** The literal texts a family name may be written in, one by one and joined. */
function textsOf(actor: Actor): { readonly each: readonly string[]; readonly joined: string } {
  let texts = actorTexts.get(actor);
  if (!texts) {
    const each = actor.runs ? actor.runs.filter((id) => id.startsWith('literal:')).map((id) => id.slice('literal:'.length)) : actor.texts;
    texts = { each, joined: each.join('\n') };
    actorTexts.set(actor, texts);
  }
  return texts;
}

const actorTexts = new WeakMap<Actor, { readonly each: readonly string[]; readonly joined: string }>();

/** Resources in a consumer's, the proxy's or the database's security group that nothing counts. */
export function members(placement: Placement, consumerGroups: ReadonlySet<string>, actors: readonly Actor[]): UnbudgetedClient[] {
  const { set } = placement;
  const checked = new Set([...consumerGroups, ...placement.guarded.flatMap((g) => [...g.groups])]);
  const registered = new Set(placement.consumers.flatMap((c) => (c.resource && c.stored.kind !== 'ecs-task' ? [identity(c.resource)] : [])));
  const tasks = placement.consumers.flatMap((c) => (c.taskDefinition ? [c.taskDefinition] : []));
  const own = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  const found: UnbudgetedClient[] = [];
  for (const actor of actors) {
    const { resource } = actor;
    if (registered.has(identity(resource)) || own.has(identity(resource))) continue;
    // A proxy's extra endpoint is the proxy: its security groups are guarded with the proxy's.
    if (resource.type === TYPES.proxyEndpoint && set.identitiesIn(resource.stack, field(resource.properties, 'DBProxyName')).some((id) => own.has(id))) continue;
    const group = actor.ids.find((id) => checked.has(id));
    // Whatever runs a budgeted task definition (a rule target, a state machine) is judged as its launcher.
    if (group === undefined || tasks.some((task) => runsTask(actor, task))) continue;
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
export function runnersOf(placement: Placement, actors: readonly Actor[]): Map<GatheredConsumer, Actor[]> {
  const runners = new Map<GatheredConsumer, Actor[]>();
  for (const consumer of placement.consumers) {
    const task = consumer.taskDefinition;
    if (!task) continue;
    const service = consumer.stored.kind === 'ecs-service' ? consumer.resource : undefined;
    runners.set(consumer, actors.filter((a) => a.resource !== task && a.resource !== service && runsTask(a, task)));
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
