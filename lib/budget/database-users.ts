import { createHash } from 'crypto';
import { EngineKind, isPostgresEngine } from './capacity';

/**
 * Containment: each consumer connects as its own database user, whose connection limit the database enforces, so a
 * consumer that leaks connections exhausts its own share, not the database (design section 12).
 */

/** The longest role name PostgreSQL keeps: NAMEDATALEN - 1 bytes (SOURCES.postgresIdentifiers). */
export const POSTGRES_MAX_USER_NAME_LENGTH = 63;
/** The longest user name MySQL accepts; MariaDB accepts 80, so 32 holds for the whole family (SOURCES.mysqlUserNames). */
export const MYSQL_MAX_USER_NAME_LENGTH = 32;
/** The users the library creates start with this, so a DBA tells them apart and none can clash with `pg_` or `rds` names. */
export const DATABASE_USER_PREFIX = 'cb_';
/** Hex digits of the path's hash in a user name: names stay unique when paths differ only in what the slug drops. */
const USER_NAME_HASH_LENGTH = 8;

/** One consumer's database user, as the ledger and the user manager see it. */
export interface DatabaseUser {
  /** The user (PostgreSQL role) name. */
  readonly name: string;
  /** The most connections the database accepts from the user: the consumer's worst case. */
  readonly connectionLimit: number;
}

/**
 * The database user of a consumer (or an allocation): `cb_` + a slug of its path + a hash of the whole path, within
 * the engine's length limit. Deterministic, so a consumer keeps its user across synths, and only lowercase letters,
 * digits and underscores, so the name needs no quoting in any client's configuration.
 */
export function databaseUserName(engine: EngineKind, path: string): string {
  const max = isPostgresEngine(engine) ? POSTGRES_MAX_USER_NAME_LENGTH : MYSQL_MAX_USER_NAME_LENGTH;
  const hash = createHash('sha256').update(path).digest('hex').slice(0, USER_NAME_HASH_LENGTH);
  const room = max - DATABASE_USER_PREFIX.length - USER_NAME_HASH_LENGTH - 1;
  // The end of a path names the consumer (`Storefront/Service`): keep it when the whole does not fit.
  const slug = path.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  const kept = slug.length > room ? wholeSegments(slug, room) : slug;
  return `${DATABASE_USER_PREFIX}${kept === '' ? '' : `${kept}_`}${hash}`;
}

/** The last `room` characters of a slug, from a segment's start when one begins there: no word is cut in half. */
function wholeSegments(slug: string, room: number): string {
  const tail = slug.slice(slug.length - room);
  const cutInWord = slug[slug.length - room - 1] !== '_';
  const whole = (cutInWord ? tail.replace(/^[^_]*/, '') : tail).replace(/^_+/, '');
  return whole === '' ? tail.replace(/^_+/, '') : whole;
}
