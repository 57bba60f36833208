import { LedgerInputsJson, PresetSpec, presetVariables, UnattributedScalableTarget, UnbudgetedClient, UnbudgetedIngress } from '../budget';
import { addressIdentity, attachedGroups, eventTargets, sourceIdentity, TYPES } from './budget-resources';
import { GatheredConsumer, ecsScalableTargets } from './gather-consumers';
import { identity, TemplateResource, TemplateSet } from './template-set';
import { describeValue, field, numberValue } from './values';

/** The proxy or the database: its resources, its security groups and its port. */
export interface Guarded {
  readonly path: string;
  readonly resources: readonly TemplateResource[];
  readonly groups: ReadonlySet<string>;
  /** Undefined when unknown until deploy: every rule then counts. */
  readonly port?: number;
}

/** Everything the hole checks read. */
export interface Placement {
  readonly set: TemplateSet;
  readonly inputs: LedgerInputsJson;
  readonly guarded: readonly Guarded[];
  readonly consumers: readonly GatheredConsumer[];
}

/** Resource types that refer to a security group or a task definition without being placed in it or running it. */
const INERT_TYPES: ReadonlySet<string> = new Set([
  TYPES.securityGroup, TYPES.ingress, TYPES.egress, 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::CDK::Metadata',
]);

/** Variables that carry where to connect or a pool size in most frameworks, whatever the preset's prefix. */
const CONNECTION_VARIABLE = /(^|_)(DATABASE_URL|DB_URL|DB_HOST|JDBC_URL|DATASOURCE_URL|PGHOST|PGDATABASE|MYSQL_HOST|RAILS_MAX_THREADS|POOL_SIZE|POOL_MAX|MAXIMUMPOOLSIZE)$/;

/** The default variable names of every preset: another container carrying one has a pool of its own. */
const PRESET_DEFAULT_NAMES: ReadonlySet<string> = new Set(([
  { framework: 'generic', prefix: 'DB_POOL' }, { framework: 'spring-boot-hikari', prefix: 'SPRING_DATASOURCE_HIKARI' }, { framework: 'sqlalchemy', prefix: 'SQLALCHEMY' },
  { framework: 'rails' }, { framework: 'node-postgres', prefix: 'PG_POOL' }, { framework: 'pgx', variable: 'PGX_POOL_PARAMS' },
  { framework: 'npgsql', variable: 'NPGSQL_POOL_OPTIONS' }, { framework: 'prisma', variable: 'PRISMA_POOL_PARAMS' },
] as PresetSpec[]).flatMap((spec) => presetVariables(spec).map((v) => v.name)));

/**
 * Security group rules that let a source reach the proxy or the database although it is neither a consumer, a
 * reservation's client, nor the proxy or database itself: AWS::EC2::SecurityGroupIngress anywhere in the templates,
 * and the inline rules of the guarded security groups.
 */
export function findUnbudgetedIngress(placement: Placement, allowedGroups: ReadonlySet<string>): UnbudgetedIngress[] {
  const { set } = placement;
  const allowedAddresses = new Set(placement.inputs.reservations.flatMap((r) => r.clients.map((c) => addressIdentity(c.value)).filter((a): a is string => a !== undefined)));
  const found: UnbudgetedIngress[] = [];
  const judge = (guarded: Guarded, rulePath: string, from: TemplateResource, rule: unknown) => {
    const ports = portsOf(rule);
    if (guarded.port !== undefined && !ports.covers(guarded.port)) return;
    const sourceGroup = field(rule, 'SourceSecurityGroupId') ?? field(rule, 'SourceSecurityGroupName');
    if (sourceGroup !== undefined) {
      const source = set.identityOf(from.stack, sourceGroup);
      if (source === undefined || !allowedGroups.has(source)) {
        found.push({ rulePath, targetPath: guarded.path, source: describeGroup(set, sourceGroup, source), ports: ports.text });
      }
      return;
    }
    const address = addressIdentity(rule);
    if (address === undefined || !allowedAddresses.has(address)) {
      const text = ['CidrIp', 'CidrIpv6', 'SourcePrefixListId'].map((n) => field(rule, n)).filter((v) => v !== undefined)
        .map((v) => (typeof v === 'string' ? v : describeValue(v))).join(', ');
      found.push({ rulePath, targetPath: guarded.path, source: text || 'a source the rule does not name', ports: ports.text });
    }
  };
  for (const guarded of placement.guarded) {
    for (const rule of set.all(TYPES.ingress)) {
      const group = set.identityOf(rule.stack, field(rule.properties, 'GroupId'));
      if (group !== undefined && guarded.groups.has(group)) judge(guarded, set.ruleOf(rule), rule, rule.properties);
    }
    for (const group of set.all(TYPES.securityGroup)) {
      if (!guarded.groups.has(identity(group))) continue;
      const inline = field(group.properties, 'SecurityGroupIngress');
      for (const rule of Array.isArray(inline) ? inline : []) judge(guarded, set.pathOf(group), group, rule);
    }
  }
  return dedupe(found, (f) => `${f.rulePath}|${f.targetPath}|${f.source}`);
}

/**
 * Resources that reach the database without a rule of their own: placed in a consumer's, the proxy's or the
 * database's security group; running a budgeted task definition; or a second container of a budgeted task
 * that carries connection settings.
 */
export function findUnbudgetedClients(placement: Placement, consumerGroups: ReadonlySet<string>): UnbudgetedClient[] {
  const actors = actorsOf(placement.set);
  return [...members(placement, consumerGroups, actors), ...launchers(placement, actors), ...containers(placement)];
}

/** Who can run tasks or open connections: every resource that is not inert, and each EventBridge target on its own. */
interface Actor {
  readonly resource: TemplateResource;
  /** ` (target 'Target0')` for a rule's target. */
  readonly label: string;
  /** What it refers to. */
  readonly ids: readonly string[];
  /** For an EventBridge target: what its EcsParameters run. */
  readonly runs?: readonly string[];
}

function actorsOf(set: TemplateSet): Actor[] {
  const actors: Actor[] = [];
  for (const resource of set.all()) {
    if (INERT_TYPES.has(resource.type) || resource.type === TYPES.rule || resource.type === TYPES.schedule) continue;
    actors.push({ resource, label: '', ids: set.identitiesIn(resource.stack, resource.properties) });
  }
  for (const target of eventTargets(set)) {
    actors.push({
      resource: target.resource, label: target.label, ids: set.identitiesIn(target.resource.stack, target.target),
      runs: set.identitiesIn(target.resource.stack, field(target.ecsParameters, 'TaskDefinitionArn')),
    });
  }
  return actors;
}

function members(placement: Placement, consumerGroups: ReadonlySet<string>, actors: readonly Actor[]): UnbudgetedClient[] {
  const { set } = placement;
  const guardedGroups = new Set(placement.guarded.flatMap((g) => [...g.groups]));
  const checked = new Set([...consumerGroups, ...guardedGroups]);
  const registered = new Set(placement.consumers.flatMap((c) => (c.resource && c.stored.kind !== 'ecs-task' ? [identity(c.resource)] : [])));
  const budgetTasks = new Set(placement.consumers.flatMap((c) => (c.taskDefinition ? [identity(c.taskDefinition)] : [])));
  const own = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  const found: UnbudgetedClient[] = [];
  for (const actor of actors) {
    const { resource } = actor;
    if (registered.has(identity(resource)) || own.has(identity(resource))) continue;
    // A proxy's extra endpoint is the proxy.
    if (resource.type === TYPES.proxyEndpoint && set.identitiesIn(resource.stack, field(resource.properties, 'DBProxyName')).some((id) => own.has(id))) continue;
    const group = actor.ids.find((id) => checked.has(id));
    // Whatever runs a budgeted task definition (a rule target, a state machine) is judged as its launcher.
    if (group === undefined || (actor.runs ?? actor.ids).some((id) => budgetTasks.has(id))) continue;
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

function launchers(placement: Placement, actors: readonly Actor[]): UnbudgetedClient[] {
  const { set } = placement;
  const owners = new Map<string, GatheredConsumer>();
  for (const consumer of placement.consumers) {
    if (consumer.taskDefinition) owners.set(identity(consumer.taskDefinition), consumer);
  }
  const counted = new Set(placement.consumers.flatMap((c) => c.launchers.map((l) => `${identity(l.resource)}${l.label}`)));
  const found: UnbudgetedClient[] = [];
  for (const actor of actors) {
    const { resource } = actor;
    for (const id of actor.ids) {
      const consumer = owners.get(id);
      if (!consumer || resource === consumer.taskDefinition || (consumer.stored.kind === 'ecs-service' && resource === consumer.resource)) continue;
      const path = `${set.pathOf(resource)}${actor.label}`;
      const task = consumer.taskDefinition!;
      if (consumer.stored.kind === 'ecs-service') {
        found.push({
          path,
          how: `runs the task definition '${set.pathOf(task)}' of the service '${consumer.stored.path}', whose connections are counted only for the service's tasks`,
          fix: `Give '${path}' a task definition of its own and register it with addEcsTask (or addEcsService).`,
        });
      } else if (resource.type === TYPES.service || resource.type === 'AWS::ECS::TaskSet') {
        found.push({
          path,
          how: `runs the task definition '${consumer.stored.path}' as a service, but the budget counts its runs only`,
          fix: 'Give the service a task definition of its own and register it with addEcsService.',
        });
      } else if (!counted.has(`${identity(resource)}${actor.label}`) && consumer.stored.inputs?.bounds.tasksPerRun === null) {
        found.push({
          path,
          how: `can start tasks of '${consumer.stored.path}' (it refers to the task definition), and the budget cannot read how many`,
          fix: `Pass tasksPerRun to addEcsTask() for '${consumer.stored.path}': the most tasks one run starts, whatever starts it.`,
        });
      }
    }
  }
  return dedupe(found, (f) => f.path);
}

function containers(placement: Placement): UnbudgetedClient[] {
  const { set } = placement;
  const registeredContainers = new Map<TemplateResource, Set<string>>();
  for (const c of placement.consumers) {
    if (c.taskDefinition && c.stored.inputs?.container) {
      const names = registeredContainers.get(c.taskDefinition) ?? new Set<string>();
      names.add(c.stored.inputs.container);
      registeredContainers.set(c.taskDefinition, names);
    }
  }
  const databaseIds = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  const secretIds = connectionSecrets(placement);
  const found: UnbudgetedClient[] = [];
  for (const [task, names] of registeredContainers) {
    const definitions = field(task.properties, 'ContainerDefinitions');
    for (const definition of Array.isArray(definitions) ? definitions : []) {
      const name = field(definition, 'Name');
      if (typeof name !== 'string' || names.has(name)) continue;
      const evidence = connectionEvidence(set, task, definition, databaseIds, secretIds);
      if (evidence.length > 0) {
        const registered = [...names].map((n) => `'${n}'`).join(', ');
        found.push({
          path: set.pathOf(task),
          how: `has a container '${name}' that connects to the database (${evidence.join('; ')}), and only ${registered} of its containers ${names.size === 1 ? 'is' : 'are'} registered`,
          fix: `Register the container too: call the same add method again with containerName '${name}' and its own pool, processes and preset.`,
        });
      }
    }
  }
  return found;
}

/** Why a container looks like a database client: its variables or secrets. */
function connectionEvidence(set: TemplateSet, task: TemplateResource, definition: unknown, databaseIds: ReadonlySet<string>, secretIds: ReadonlySet<string>): string[] {
  const evidence: string[] = [];
  const entries = [...arrayOf(field(definition, 'Environment')), ...arrayOf(field(definition, 'Secrets'))];
  for (const entry of entries) {
    const name = field(entry, 'Name');
    if (typeof name !== 'string') continue;
    const value = field(entry, 'Value') ?? field(entry, 'ValueFrom');
    const refs = set.targets(task.stack, value).flatMap((t) => (t.kind === 'resource' ? [identity(t.resource)] : []));
    if (refs.some((r) => databaseIds.has(r))) {
      evidence.push(`${name} refers to the proxy or the database`);
    } else if (refs.some((r) => secretIds.has(r))) {
      evidence.push(`${name} holds the database's secret`);
    } else if (PRESET_DEFAULT_NAMES.has(name) || CONNECTION_VARIABLE.test(name)) {
      evidence.push(`it sets ${name}`);
    }
  }
  return evidence;
}

/** The secrets of the database: those the proxy authenticates with and those attached to the database. */
function connectionSecrets(placement: Placement): Set<string> {
  const { set } = placement;
  const ids = new Set<string>();
  const databaseIds = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  for (const guarded of placement.guarded) {
    for (const proxy of guarded.resources.filter((r) => r.type === TYPES.proxy)) {
      for (const auth of arrayOf(field(proxy.properties, 'Auth'))) {
        const id = set.identityOf(proxy.stack, field(auth, 'SecretArn'));
        if (id) ids.add(id);
      }
    }
  }
  for (const attachment of set.all(TYPES.secretAttachment)) {
    if (set.targets(attachment.stack, field(attachment.properties, 'TargetId')).some((t) => t.kind === 'resource' && databaseIds.has(identity(t.resource)))) {
      ids.add(identity(attachment));
      const secret = set.identityOf(attachment.stack, field(attachment.properties, 'SecretId'));
      if (secret) ids.add(secret);
    }
  }
  return ids;
}

/** ECS scalable targets whose service cannot be told from the templates. */
export function findUnattributedScalableTargets(set: TemplateSet): UnattributedScalableTarget[] {
  return ecsScalableTargets(set).flatMap(({ target, service }) => (service.kind === 'unknown'
    ? [{ path: set.pathOf(target), resourceId: service.description }] : []));
}

/** The security groups every consumer is placed in (as deployed) or was registered with. */
export function consumerGroupsOf(placement: Placement): Set<string> {
  const groups = new Set<string>();
  for (const consumer of placement.consumers) {
    consumer.groups.forEach((g) => groups.add(g));
    for (const source of consumer.stored.inputs?.securityGroups ?? []) {
      const id = sourceIdentity(placement.set, source);
      if (id) groups.add(id);
    }
  }
  return groups;
}

/** The groups of the proxy and database as deployed, and as the budget knew them. */
export function guardedGroups(set: TemplateSet, resources: readonly TemplateResource[], declared: LedgerInputsJson['database']['securityGroups']): Set<string> {
  const groups = new Set(resources.flatMap((r) => attachedGroups(set, r)));
  for (const source of declared) {
    const id = sourceIdentity(set, source);
    if (id) groups.add(id);
  }
  return groups;
}

function portsOf(rule: unknown): { covers: (port: number) => boolean; text: string } {
  const protocol = String(field(rule, 'IpProtocol'));
  if (protocol === '-1' || protocol === 'all') {
    return { covers: () => true, text: 'all ports' };
  }
  const from = numberValue(field(rule, 'FromPort'));
  const to = numberValue(field(rule, 'ToPort'));
  if (from.kind !== 'known' || to.kind !== 'known') {
    return { covers: () => true, text: 'ports unknown until deploy' };
  }
  const tcp = protocol === 'tcp' || protocol === '6';
  return {
    covers: (port) => tcp && from.value <= port && port <= to.value,
    text: from.value === to.value ? `port ${from.value}` : `ports ${from.value}-${to.value}`,
  };
}

function describeGroup(set: TemplateSet, value: unknown, id: string | undefined): string {
  return id === undefined ? `security group ${describeValue(value)} (unknown until deploy)` : describeIdentity(set, id);
}

/** `security group 'Ops/Bastion/SecurityGroup'` or `security group 'sg-123'`. */
function describeIdentity(set: TemplateSet, id: string): string {
  if (id.startsWith('literal:')) {
    return `security group '${id.slice('literal:'.length)}'`;
  }
  const resource = set.all(TYPES.securityGroup).find((g) => identity(g) === id);
  return resource ? `security group '${set.pathOf(resource)}'` : `security group ${id}`;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
