import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { AcceptWindow, connectAndQuery } from '../../lib/cli/rehearse/wire';

// The client side of a rehearsal against a server on a Unix socket that accepts connections and says nothing: no PostgreSQL needed.

/** A server on a Unix socket in a directory of its own that accepts connections and never answers them. */
async function silentServer(onConnection: () => void = () => undefined): Promise<{ socket: string; close: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-wire-'));
  const socket = path.join(dir, '.s.PGSQL.5432');
  const connections = new Set<net.Socket>();
  const listener = net.createServer((connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    connection.on('error', () => undefined);
    onConnection();
  });
  await new Promise<void>((resolve) => listener.listen(socket, resolve));
  return {
    socket,
    close: async () => {
      connections.forEach((connection) => connection.destroy());
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a connection the server never answers is unanswered, not timed out: the rehearsal has no verdict for it', async () => {
  const silent = await silentServer();
  try {
    const attempt = await connectAndQuery({ socket: silent.socket, user: 'app', database: 'app' }, 'SELECT 1', { deadlineMs: 200 });
    expect(attempt).toEqual({ ok: false, kind: 'unanswered', message: 'no answer within 200 ms' });
  } finally {
    await silent.close();
  }
});

test('the accept window starts the next connection only once the server answered the previous one, or it ended', async () => {
  let seen = 0;
  const silent = await silentServer(() => { seen += 1; });
  try {
    const target = { socket: silent.socket, user: 'app', database: 'app' };
    const window = new AcceptWindow(1);
    const first = connectAndQuery(target, 'SELECT 1', { deadlineMs: 200, window });
    const second = connectAndQuery(target, 'SELECT 1', { deadlineMs: 200, window });
    expect(await first).toMatchObject({ ok: false, kind: 'unanswered' });
    expect(seen).toBe(1);
    expect(await second).toMatchObject({ ok: false, kind: 'unanswered' });
    expect(seen).toBe(2);
  } finally {
    await silent.close();
  }
});
