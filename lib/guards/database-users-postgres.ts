import { Client } from 'pg';
import { POSTGRES_USERS } from './database-users';
import { CONNECT_TIMEOUT_MS, Connect, manageUsers, STATEMENT_TIMEOUT_MS } from './database-users-handler';
import { GuardEvent, GuardResult } from './guard-event';

/** Every PostgreSQL server has this database (initdb creates it): the manager connects there when the budget names none. */
const POSTGRES_DEFAULT_DATABASE = 'postgres';

/**
 * The PostgreSQL user manager. TLS is required and verified: the function's NODE_EXTRA_CA_CERTS loads the RDS
 * certificate authorities the Lambda runtime ships (SOURCES.lambdaRdsCertificates).
 */
export const connectPostgres = (tls: boolean): Connect => async ({ host, port, user, password, database }) => {
  const client = new Client({
    host, port, user, password, database: database ?? POSTGRES_DEFAULT_DATABASE, ssl: tls ? { rejectUnauthorized: true } : false,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS, statement_timeout: STATEMENT_TIMEOUT_MS,
  });
  await client.connect();
  return {
    session: { query: async (text, values) => (await client.query(text, values as unknown[])).rows },
    close: () => client.end(),
  };
};

export const handler = (event: GuardEvent): Promise<GuardResult> => manageUsers(event, POSTGRES_USERS, connectPostgres(true));
