import { LedgerDifference, LedgerJson } from '../budget';
import { PLACEHOLDER, referencesIn, textWithPlaceholders } from './intrinsics';
import { TemplateResource, TemplateSet } from './template-set';
import { describeValue, field } from './values';

/** The custom resource type of the user manager (lib/constructs/database-users.ts writes it). */
const DATABASE_USERS_TYPE = 'Custom::ConnectionBudgetDatabaseUsers';

/** A user as the user manager's Users property lists it. */
interface ListedUser {
  readonly name?: unknown;
  readonly connectionLimit?: unknown;
}

/**
 * Each consumer's (and allocation's) database user as the templates deploy it: listed by exactly one user manager, with a
 * connection limit equal to the consumer's worst case rebuilt from the templates (the allocation's connections). An override of the Users property (a higher limit, a
 * user left out) would let a consumer past its share at run time while the budget still says it fits.
 */
export function databaseUserDifferences(rebuilt: LedgerJson, set: TemplateSet): LedgerDifference[] {
  // Each consumer's user is limited to its worst case; each allocation's to the connections granted.
  const wanted = [
    // The worst case is rebuilt from what deploys: an override that raised it shows here, beside the limit the user manager keeps.
    ...rebuilt.consumers.flatMap((c) => (typeof c.inputs?.databaseUser === 'string' ? [{ path: c.path, user: c.inputs.databaseUser, limit: c.demand, basis: 'its worst case as the templates deploy it' }] : [])),
    ...(rebuilt.inputs?.reservations ?? []).flatMap((r) => (r.databaseUser ? [{ path: r.name, user: r.databaseUser, limit: r.connections, basis: 'the connections granted' }] : [])),
  ];
  if (wanted.length === 0) return [];
  const listed = new Map<string, Array<{ readonly user: ListedUser; readonly manager: TemplateResource }>>();
  const managers = new Set<TemplateResource>();
  for (const manager of set.all(DATABASE_USERS_TYPE)) {
    for (const user of usersOf(field(manager.properties, 'Users'))) {
      const name = String(user.name);
      listed.set(name, [...listed.get(name) ?? [], { user, manager }]);
      if (wanted.some((w) => w.user === name)) managers.add(manager);
    }
  }
  // A manager pointed at another host (an override of Host) would set the limits on a database the budget does not divide.
  const database = rebuilt.inputs?.database?.resource;
  const misdirected = database ? [...managers].filter((m) => !(m.stack === set.stack(database) && referencesIn(field(m.properties, 'Host'))
    .some((r) => r.kind === 'resource' && r.logicalId === database.logicalId))) : [];
  const hostDifferences = misdirected.map((m): LedgerDifference => ({
    subject: rebuilt.budgetPath, what: `the Host of the user manager '${set.pathOf(m)}'`, ledger: `the endpoint of '${rebuilt.inputs!.database!.path}'`,
    templates: describeValue(field(m.properties, 'Host')),
  }));
  return [...hostDifferences, ...wanted.flatMap(({ path, user, limit, basis }): LedgerDifference[] => {
    const entries = listed.get(user) ?? [];
    const what = `the connection limit of the database user '${user}' of '${path}'`;
    if (entries.length !== 1) {
      return [{ subject: path, what, ledger: `${limit} in one ${DATABASE_USERS_TYPE}`, templates: entries.length === 0 ? 'no user manager listing the user' : `${entries.length} user managers listing it` }];
    }
    const { user: entry, manager } = entries[0];
    return entry.connectionLimit === limit ? []
      : [{ subject: path, what, ledger: `${limit} (${basis})`, templates: `${describeValue(entry.connectionLimit)} (in the Users of '${set.pathOf(manager)}')` }];
  })];
}

/** The Users property: a JSON list whose secret ARNs are references, read with a placeholder for each; [] when unreadable. */
function usersOf(value: unknown): ListedUser[] {
  const text = textWithPlaceholders(value);
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text.split(PLACEHOLDER).join('?')) as unknown;
    return Array.isArray(parsed) ? parsed.filter((u): u is ListedUser => typeof u === 'object' && u !== null) : [];
  } catch {
    return [];
  }
}
