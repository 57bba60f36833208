import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { applyUsers, SqlSession, UsersDialect, UsersOutcome, WantedUser } from './database-users';
import { GuardEvent, GuardProperties, GuardResult, optionalString, requiredString, shown, wholeNumber } from './guard-event';

/**
 * The user manager: a custom resource whose function runs in the database's VPC and, at every deployment that changes
 * the budget, creates each consumer's database user and sets its connection limit to the consumer's worst case.
 * It connects as the master user, whose secret it reads; each user's password comes from the user's own secret.
 * The engine's entry file (database-users-postgres.ts, database-users-mysql.ts) passes its driver, so each bundle
 * holds one driver only.
 */

const MANAGER = 'Connection budget user manager';

/** A database that does not answer within this is unreachable (a security group, a subnet): fail with that, well before the function's timeout. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** How long the manager keeps trying to connect: resuming a paused Serverless v2 instance takes seconds, rarely a minute. */
export const CONNECT_RETRY_WINDOW_MS = 90_000;
/** The wait between two tries. */
const CONNECT_RETRY_DELAY_MS = 5_000;
/** One account statement takes milliseconds; one that waits this long waits on a lock, and the deployment should say so. */
export const STATEMENT_TIMEOUT_MS = 30_000;

// Created once per Lambda container; tests mock it (aws-sdk-client-mock).
const secretsManager = new SecretsManagerClient({});

/** A user as the custom resource's Users property lists it (a JSON string: CloudFormation passes values as strings). */
interface UserProperty {
  readonly name: string;
  readonly secretArn: string;
  readonly connectionLimit: number;
}

/** Where and how to connect. */
export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string | undefined;
}

/** Opens a session for a dialect; closing it is the returned function's job. */
export type Connect = (connection: Connection) => Promise<{ session: SqlSession; close: () => Promise<void> }>;

export async function manageUsers(event: GuardEvent, dialect: UsersDialect, connect: Connect): Promise<GuardResult> {
  const physicalId = event.RequestType === 'Create' ? `connection-budget-users-${requiredString(event.ResourceProperties, 'DatabasePath', MANAGER)}` : event.PhysicalResourceId;
  if (event.RequestType === 'Delete') {
    // The database may be going too; when it is not, its users stay (a user may still hold connections), and the log says
    // so. A delete never fails, whatever the properties hold: it would leave the stack unable to go.
    console.log(`${MANAGER}: the resource was deleted; the users it created stay in the database: ${shortened(String(event.ResourceProperties.Users))}.`);
    return { PhysicalResourceId: physicalId };
  }
  const properties = event.ResourceProperties;
  const users = usersOf(properties);
  const before = new Map(event.RequestType === 'Update' ? usersOf(event.OldResourceProperties).map((u) => [u.name, u]) : []);
  const master = await secretJson(requiredString(properties, 'MasterSecretArn', MANAGER));
  const { session, close } = await connectWithRetries(connect, {
    host: requiredString(properties, 'Host', MANAGER),
    port: wholeNumber(properties, 'Port', MANAGER),
    user: master.username,
    password: master.password,
    database: optionalString(properties, 'DatabaseName', MANAGER),
  });
  let outcome: UsersOutcome;
  try {
    const wanted: WantedUser[] = users.map((u) => ({
      name: u.name,
      connectionLimit: u.connectionLimit,
      secretChanged: before.get(u.name)?.secretArn !== u.secretArn,
      password: async () => (await secretJson(u.secretArn)).password,
    }));
    outcome = await applyUsers(session, dialect, wanted, [...before.keys()], accessOf(properties, dialect));
  } finally {
    await close();
  }
  console.log(`${MANAGER} (${dialect.name}): ${describeOutcome(outcome)}`);
  // CloudFormation refuses a custom resource response over 4,096 bytes: the attribute counts, the log names.
  return { PhysicalResourceId: physicalId, Data: { Summary: countOutcome(outcome) } };
}

/**
 * Connects, trying again while the database is not answering yet: a paused Aurora Serverless v2 instance resumes on the
 * first connection, and a new instance may still be starting. The last error is the one thrown.
 */
async function connectWithRetries(connect: Connect, connection: Connection): ReturnType<Connect> {
  const deadline = Date.now() + CONNECT_RETRY_WINDOW_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(connection);
    } catch (e) {
      if (Date.now() + CONNECT_RETRY_DELAY_MS > deadline) {
        throw new Error(`${MANAGER}: cannot connect to ${connection.host}:${connection.port} after ${attempt} attempts (${(e as Error).message}); `
          + 'check that the function\'s subnets reach the database (its security group, a route) and Secrets Manager.', { cause: e });
      }
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_DELAY_MS));
    }
  }
}

/** `created 2, limits changed 1, dropped 0, kept 1 (named in the function's log)`. */
function countOutcome(outcome: UsersOutcome): string {
  return `created ${outcome.created.length}, limits changed ${outcome.limitsChanged.length}, dropped ${outcome.dropped.length}, `
    + `kept ${outcome.kept.length}${outcome.kept.length > 0 ? ' (named in the function\'s log)' : ''}`;
}

/** The databases of MySQL's own accounts and metadata: no consumer gets privileges there. */
const MYSQL_SYSTEM_DATABASES = ['mysql', 'sys', 'performance_schema', 'information_schema'];

/**
 * What every user is granted: on PostgreSQL a group role of the library's (never a predefined `pg_` or `rds` role, which
 * an overridden property could otherwise hand to every consumer), on MySQL an application database (never a system one).
 */
function accessOf(properties: GuardProperties, dialect: UsersDialect): string | undefined {
  const access = optionalString(properties, 'Access', MANAGER);
  if (access === undefined) return undefined;
  const refused = dialect.name === 'PostgreSQL'
    ? !/^[a-z][a-z0-9_]*$/.test(access) || /^(pg_|rds)/.test(access)
    : MYSQL_SYSTEM_DATABASES.includes(access.toLowerCase()) || !/^[A-Za-z0-9_$]+$/.test(access);
  if (refused) {
    throw new Error(`${MANAGER}: property Access ${shown(access)} is not a ${dialect.name === 'PostgreSQL' ? 'group role of the library\'s (lowercase, not pg_ or rds)' : 'database of the application'}: no user is granted it.`);
  }
  return access;
}

/** A property value in a message, cut so an error stays readable (and within CloudFormation's response size). */
function shortened(text: string): string {
  return text.length > SHOWN_LENGTH ? `${text.slice(0, SHOWN_LENGTH)}… (${text.length} characters)` : text;
}

/** How much of a property an error quotes. */
const SHOWN_LENGTH = 300;

function describeOutcome(outcome: UsersOutcome): string {
  const parts = [
    outcome.created.length > 0 ? `created ${outcome.created.join(', ')}` : '',
    outcome.limitsChanged.length > 0 ? `limits changed ${outcome.limitsChanged.join(', ')}` : '',
    outcome.dropped.length > 0 ? `dropped ${outcome.dropped.join(', ')}` : '',
    outcome.kept.length > 0 ? `kept although the budget no longer names them: ${outcome.kept.join(', ')}` : '',
  ].filter((part) => part !== '');
  return parts.length > 0 ? parts.join('; ') : 'every user already has its limit';
}

function usersOf(properties: GuardProperties): UserProperty[] {
  const text = requiredString(properties, 'Users', MANAGER);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${MANAGER}: property Users must be a JSON list, got ${shortened(shown(text))}.`);
  }
  const valid = Array.isArray(parsed) && parsed.every((u) => typeof u === 'object' && u !== null
    && typeof u.name === 'string' && /^[a-z0-9_]+$/.test(u.name)
    && typeof u.secretArn === 'string' && u.secretArn !== ''
    && Number.isSafeInteger(u.connectionLimit) && u.connectionLimit >= 0);
  if (!valid) {
    throw new Error(`${MANAGER}: property Users must list { name (lowercase letters, digits, _), secretArn, connectionLimit (0 or more) }, got ${shortened(shown(text))}.`);
  }
  return parsed as UserProperty[];
}

async function secretJson(secretArn: string): Promise<{ username: string; password: string }> {
  const { SecretString: text } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const value = JSON.parse(text ?? '{}') as { username?: unknown; password?: unknown };
  if (typeof value.username !== 'string' || typeof value.password !== 'string') {
    throw new Error(`${MANAGER}: the secret '${secretArn}' holds no username and password.`);
  }
  return { username: value.username, password: value.password };
}
