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
    // The database may be going too; when it is not, its users stay (a user may still hold connections), and the log says so.
    console.log(`${MANAGER}: the resource was deleted; the users it created stay in the database: ${usersOf(event.ResourceProperties).map((u) => u.name).join(', ') || 'none'}.`);
    return { PhysicalResourceId: physicalId };
  }
  const properties = event.ResourceProperties;
  const users = usersOf(properties);
  const before = new Map(event.RequestType === 'Update' ? usersOf(event.OldResourceProperties).map((u) => [u.name, u]) : []);
  const master = await secretJson(requiredString(properties, 'MasterSecretArn', MANAGER));
  const { session, close } = await connect({
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
    outcome = await applyUsers(session, dialect, wanted, [...before.keys()], optionalString(properties, 'Access', MANAGER));
  } finally {
    await close();
  }
  const summary = describeOutcome(outcome);
  console.log(`${MANAGER} (${dialect.name}): ${summary}`);
  return { PhysicalResourceId: physicalId, Data: { Summary: summary } };
}

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
    throw new Error(`${MANAGER}: property Users must be a JSON list, got ${shown(text)}.`);
  }
  const valid = Array.isArray(parsed) && parsed.every((u) => typeof u === 'object' && u !== null
    && typeof u.name === 'string' && /^[a-z0-9_]+$/.test(u.name)
    && typeof u.secretArn === 'string' && u.secretArn !== ''
    && Number.isSafeInteger(u.connectionLimit) && u.connectionLimit >= 0);
  if (!valid) {
    throw new Error(`${MANAGER}: property Users must list { name (lowercase letters, digits, _), secretArn, connectionLimit (0 or more) }, got ${shown(text)}.`);
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
