import * as net from 'net';

/**
 * Just enough of the PostgreSQL frontend/backend protocol (version 3.0) to open a connection with trust
 * authentication on loopback, run one query and keep the connection until released. A rehearsal needs
 * precise timing and the server's own error for every connection, and no driver to pool or retry
 * behind its back; the whole protocol it uses fits here.
 */

/** How one connection attempt ended. */
export type Attempt =
  | { readonly ok: true; readonly ms: number; readonly release: () => void }
  | { readonly ok: false; readonly kind: 'refused' | 'timed out'; readonly message: string };

const PROTOCOL_3_0 = 196608;
const AUTHENTICATION_OK = 0;

/** Connects to `port` on 127.0.0.1 as `user`, runs `query`, and resolves once it answers (or fails, or `timeoutMs` passes). */
export function connectAndQuery(port: number, user: string, database: string, query: string, timeoutMs: number): Promise<Attempt> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    let settled = false;
    let queried = false;
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!attempt.ok) socket.destroy();
      resolve(attempt);
    };
    const timer = setTimeout(() => finish({ ok: false, kind: 'timed out', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(startupMessage(user, database)));
    socket.on('error', (e) => finish({ ok: false, kind: 'refused', message: e.message }));
    socket.on('close', () => finish({ ok: false, kind: 'refused', message: 'the server closed the connection' }));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 5) {
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) break;
        const type = String.fromCharCode(buffer[0]);
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        if (type === 'E') {
          const message = errorMessage(body);
          finish({ ok: false, kind: /timeout|timed out|canceling statement/i.test(message) ? 'timed out' : 'refused', message });
          return;
        }
        if (type === 'R' && body.readInt32BE(0) !== AUTHENTICATION_OK) {
          finish({ ok: false, kind: 'refused', message: `the server asks for authentication method ${body.readInt32BE(0)}; rehearsals use trust on loopback` });
          return;
        }
        if (type === 'Z') {
          if (!queried) {
            queried = true;
            socket.write(queryMessage(query));
          } else {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            socket.removeAllListeners('close');
            socket.on('close', () => undefined);
            finish({ ok: true, ms, release: () => socket.end(terminateMessage()) });
          }
        }
      }
    });
  });
}

function startupMessage(user: string, database: string): Buffer {
  const pairs = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0connection-budget-rehearsal\0\0`, 'utf8');
  const message = Buffer.alloc(8 + pairs.length);
  message.writeInt32BE(message.length, 0);
  message.writeInt32BE(PROTOCOL_3_0, 4);
  pairs.copy(message, 8);
  return message;
}

function queryMessage(query: string): Buffer {
  const text = Buffer.from(`${query}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0, 'ascii');
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

function terminateMessage(): Buffer {
  const message = Buffer.alloc(5);
  message.write('X', 0, 'ascii');
  message.writeInt32BE(4, 1);
  return message;
}

/** The `M` (message) field of an ErrorResponse. */
function errorMessage(body: Buffer): string {
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const field = String.fromCharCode(body[offset]);
    const end = body.indexOf(0, offset + 1);
    const value = body.subarray(offset + 1, end).toString('utf8');
    if (field === 'M') return value;
    offset = end + 1;
  }
  return 'unknown error';
}
