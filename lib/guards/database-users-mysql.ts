import { createConnection } from 'mysql2/promise';
import { MYSQL_USERS } from './database-users';
import { CONNECT_TIMEOUT_MS, Connect, manageUsers, STATEMENT_TIMEOUT_MS } from './database-users-handler';
import { GuardEvent, GuardResult } from './guard-event';

/**
 * The MySQL and MariaDB user manager. TLS is required and verified: the function's NODE_EXTRA_CA_CERTS loads the RDS
 * certificate authorities the Lambda runtime ships (SOURCES.lambdaRdsCertificates). `query` (not `execute`): account
 * statements are not preparable, so mysql2 escapes the values into the text itself.
 */
export const connectMysql = (tls: boolean, socketPath?: string): Connect => async ({ host, port, user, password, database }) => {
  const connection = await createConnection({
    ...(socketPath ? { socketPath } : { host, port }), user, password, database, ssl: tls ? { rejectUnauthorized: true } : undefined,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  // An account statement waiting on a lock (another session changing the grant tables) must end before the function does.
  await connection.query('SET SESSION lock_wait_timeout = ?', [STATEMENT_TIMEOUT_MS / 1000]);
  return {
    session: { query: async (text, values) => (await connection.query(text, values as unknown[]))[0] as Array<Record<string, unknown>> },
    close: () => connection.end(),
  };
};

export const handler = (event: GuardEvent): Promise<GuardResult> => manageUsers(event, MYSQL_USERS, connectMysql(true));
