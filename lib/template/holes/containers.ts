import { PresetSpec, presetVariables, UnbudgetedClient } from '../../budget';
import { TYPES } from '../budget-resources';
import { identity, TemplateResource, TemplateSet } from '../template-set';
import { field } from '../values';
import { arrayOf, Placement } from './placement';

/** Variables that carry where to connect or a pool size in most frameworks, whatever the preset's prefix. */
const CONNECTION_VARIABLE = new RegExp('(^|_)(DATABASE_URL|DATABASE_URI|DATABASE_HOST|DB_URL|DB_HOST|DB_HOSTNAME|JDBC_URL|DATASOURCE_URL|'
  + 'PGHOST|PGDATABASE|POSTGRES_HOST|MYSQL_HOST|RAILS_MAX_THREADS|POOL_SIZE|POOL_MAX|MAXIMUMPOOLSIZE)$');

/** The default variable names of every preset: another container carrying one has a pool of its own. */
const PRESET_DEFAULT_NAMES: ReadonlySet<string> = new Set(([
  { framework: 'generic', prefix: 'DB_POOL' }, { framework: 'spring-boot-hikari', prefix: 'SPRING_DATASOURCE_HIKARI' }, { framework: 'sqlalchemy', prefix: 'SQLALCHEMY' },
  { framework: 'rails' }, { framework: 'node-postgres', prefix: 'PG_POOL' }, { framework: 'pgx', variable: 'PGX_POOL_PARAMS' },
  { framework: 'npgsql', variable: 'NPGSQL_POOL_OPTIONS' }, { framework: 'prisma', variable: 'PRISMA_POOL_PARAMS' },
] as PresetSpec[]).flatMap((spec) => presetVariables(spec).map((v) => v.name)));

/** The containers of a budgeted task definition, other than the registered ones, that show they connect. */
export function containers(placement: Placement): UnbudgetedClient[] {
  const { set } = placement;
  const registered = new Map<TemplateResource, Set<string>>();
  for (const c of placement.consumers) {
    if (c.taskDefinition && c.stored.inputs?.container) {
      const names = registered.get(c.taskDefinition) ?? new Set<string>();
      names.add(c.stored.inputs.container);
      registered.set(c.taskDefinition, names);
    }
  }
  const databaseIds = new Set(placement.guarded.flatMap((g) => g.resources.map(identity)));
  const secretIds = connectionSecrets(placement);
  // A custom preset's names (WORKER_POOL) are pool settings too, wherever they appear.
  const poolNames = new Set([...PRESET_DEFAULT_NAMES, ...placement.consumers.flatMap((c) => Object.keys(c.stored.poolSettings.variables))]);
  const found: UnbudgetedClient[] = [];
  for (const [task, names] of registered) {
    for (const definition of arrayOf(field(task.properties, 'ContainerDefinitions'))) {
      const name = field(definition, 'Name');
      if (typeof name !== 'string' || names.has(name)) continue;
      const evidence = connectionEvidence(set, task, definition, { databaseIds, secretIds, poolNames });
      if (evidence.length > 0) {
        const known = [...names].map((n) => `'${n}'`).join(', ');
        found.push({
          path: set.pathOf(task),
          how: `has a container '${name}' that connects to the database (${evidence.join('; ')}), and only ${known} of its containers ${names.size === 1 ? 'is' : 'are'} registered`,
          fix: `Register the container too: call the same add method again with containerName '${name}' and its own pool, processes and preset.`,
        });
      }
    }
  }
  return found;
}

/** Why a container looks like a database client: its variables or secrets. */
function connectionEvidence(set: TemplateSet, task: TemplateResource, definition: unknown, known: {
  readonly databaseIds: ReadonlySet<string>; readonly secretIds: ReadonlySet<string>; readonly poolNames: ReadonlySet<string>;
}): string[] {
  const evidence: string[] = [];
  for (const entry of [...arrayOf(field(definition, 'Environment')), ...arrayOf(field(definition, 'Secrets'))]) {
    const name = field(entry, 'Name');
    if (typeof name !== 'string') continue;
    const value = field(entry, 'Value') ?? field(entry, 'ValueFrom');
    const refs = set.targets(task.stack, value).flatMap((t) => (t.kind === 'resource' ? [identity(t.resource)] : []));
    if (refs.some((r) => known.databaseIds.has(r))) {
      evidence.push(`${name} refers to the proxy or the database`);
    } else if (refs.some((r) => known.secretIds.has(r))) {
      evidence.push(`${name} holds the database's secret`);
    } else if (known.poolNames.has(name) || CONNECTION_VARIABLE.test(name)) {
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
  for (const proxy of placement.guarded.flatMap((g) => g.resources.filter((r) => r.type === TYPES.proxy))) {
    for (const auth of arrayOf(field(proxy.properties, 'Auth'))) {
      const id = set.identityOf(proxy.stack, field(auth, 'SecretArn'));
      if (id) ids.add(id);
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
