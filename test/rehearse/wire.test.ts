import * as net from 'net';
import { AcceptWindow, connectAndQuery } from '../../lib/cli/rehearse/wire';

// The client side of a rehearsal against a server on loopback that accepts connections and says nothing: no PostgreSQL needed.

/** A server on a free loopback port that accepts connections and never answers them. */
async function silentServer(onConnection: () => void = () => undefined): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return {
    port: (listener.address() as net.AddressInfo).port,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => listener.close(() => resolve()));
    },
  };
}

test('a connection the server never answers is unanswered, not timed out: the rehearsal has no verdict for it', async () => {
  const silent = await silentServer();
  try {
    const attempt = await connectAndQuery({ port: silent.port, user: 'app', database: 'app' }, 'SELECT 1', { deadlineMs: 200 });
    expect(attempt).toEqual({ ok: false, kind: 'unanswered', message: 'no answer within 200 ms' });
  } finally {
    await silent.close();
  }
});

test('the accept window starts the next connection only once the server answered the previous one, or it ended', async () => {
  let seen = 0;
  const silent = await silentServer(() => { seen += 1; });
  try {
    const target = { port: silent.port, user: 'app', database: 'app' };
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
