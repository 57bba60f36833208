import { createConnection } from 'mysql2/promise';
import { MYSQL_USERS } from './database-users';
import { Connect, manageUsers } from './database-users-handler';
import { GuardEvent, GuardResult } from './guard-event';

/**
 * The MySQL and MariaDB user manager. TLS is required and verified: the function's NODE_EXTRA_CA_CERTS loads the RDS
 * certificate authorities the Lambda runtime ships (SOURCES.lambdaRdsCertificates). `query` (not `execute`): account
 * statements are not preparable, so mysql2 escapes the values into the text itself.
 */
export const connectMysql = (tls: boolean, socketPath?: string): Connect => async ({ host, port, user, password, database }) => {
  const connection = await createConnection({
    ...(socketPath ? { socketPath } : { host, port }), user, password, database, ssl: tls ? { rejectUnauthorized: true } : undefined,
  });
  return {
    session: { query: async (text, values) => (await connection.query(text, values as unknown[]))[0] as Array<Record<string, unknown>> },
    close: () => connection.end(),
  };
};

export const handler = (event: GuardEvent): Promise<GuardResult> => manageUsers(event, MYSQL_USERS, connectMysql(true));
