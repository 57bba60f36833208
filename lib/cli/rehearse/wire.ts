import * as net from 'net';

/**
 * Just enough of the PostgreSQL frontend/backend protocol (version 3.0) to open a connection with trust
 * authentication on a Unix socket, run simple queries and keep the connection until released. A rehearsal needs
 * precise timing and the server's own error for every connection, and no driver to pool or retry
 * behind its back; the whole protocol it uses fits here.
 */

/**
 * Accept-queue length of PgBouncer's listener, and the most connections a rehearsal leaves unanswered at once (its
 * AcceptWindow, whichever server answers): PgBouncer's default listen_backlog, and Linux's SOMAXCONN before 5.4
 * (https://www.pgbouncer.org/config.html#listen_backlog).
 */
export const LISTEN_BACKLOG = 128;

/** How one connection attempt ended: opened, or the server's refusal or timeout, or no answer at all. */
export type Attempt =
  | { readonly ok: true; readonly ms: number; readonly release: () => void }
  | { readonly ok: false; readonly kind: 'refused' | 'timed out' | 'unanswered'; readonly message: string };

/** One row of a query's answer, by column name. */
export type Row = Readonly<Record<string, string | null>>;

/** Where to connect, and as whom. */
export interface Target {
  /** The server's Unix socket file. */
  readonly socket: string;
  readonly user: string;
  readonly database: string;
}

/** How an attempt waits. */
export interface AttemptOptions {
  /** Give up when the server has not answered within this time: the attempt is `unanswered`. */
  readonly deadlineMs?: number;
  /** Give up when this aborts: the attempt is `unanswered`, with the abort's reason. */
  readonly signal?: AbortSignal;
  /** Admission to the servers' accept queues; the attempt starts once admitted and leaves at the server's first answer. */
  readonly window?: AcceptWindow;
}

const PROTOCOL_3_0 = 196608;
const AUTHENTICATION_OK = 0;

/**
 * Admits at most `size` connections at a time that the server has not answered yet: those are the ones
 * waiting in its listen queue (or being accepted). A Unix socket whose queue is full refuses the next
 * connection at once (EAGAIN, unix(7)); keeping every attempt inside the queue makes whether and when a
 * client gets in depend on the order it starts in, not on how fast the server accepts.
 */
export class AcceptWindow {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  public constructor(size: number) {
    this.free = size;
  }

  /** Resolves when the caller may connect. */
  public enter(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The caller's connection was answered (or failed): admit the next one. */
  public leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/** Connects to `target`, runs `query`, and resolves once it answers (or fails, or the deadline passes). */
export async function connectAndQuery(target: Target, query: string, options: AttemptOptions): Promise<Attempt> {
  await options.window?.enter();
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const socket = net.connect({ path: target.socket });
    let settled = false;
    let answered = false;
    let queried = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      options.window?.leave();
    };
    const unanswered = (message: string) => finish({ ok: false, kind: 'unanswered', message });
    const aborted = () => unanswered(String(options.signal?.reason));
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', aborted);
      answer();
      if (!attempt.ok) socket.destroy();
      resolve(attempt);
    };
    const timer = options.deadlineMs === undefined ? undefined
      : setTimeout(() => unanswered(`no answer within ${options.deadlineMs} ms`), options.deadlineMs);
    options.signal?.addEventListener('abort', aborted);
    if (options.signal?.aborted) aborted();
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(startupMessage(target)));
    socket.on('error', (e) => finish({ ok: false, kind: 'refused', message: e.message }));
    socket.on('close', () => finish({ ok: false, kind: 'refused', message: 'the server closed the connection' }));
    onMessages(socket, (type, body) => {
      answer();
      if (type === 'E') {
        const message = errorMessage(body);
        finish({ ok: false, kind: /timeout|timed out|canceling statement/i.test(message) ? 'timed out' : 'refused', message });
      } else if (type === 'R' && body.readInt32BE(0) !== AUTHENTICATION_OK) {
        finish({ ok: false, kind: 'refused', message: `the server asks for authentication method ${body.readInt32BE(0)}; rehearsals use trust on a private socket` });
      } else if (type === 'Z' && !queried) {
        queried = true;
        socket.write(queryMessage(query));
      } else if (type === 'Z') {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        socket.removeAllListeners('close');
        socket.on('close', () => undefined);
        finish({ ok: true, ms, release: () => socket.end(terminateMessage()) });
      }
    });
  });
}

/** A connection that runs statements one after another and returns their rows: how the stand-in is prepared and inspected. */
export interface Session {
  /** The rows of `sql` (none for a statement); rejects with the server's error. */
  readonly query: (sql: string) => Promise<Row[]>;
  readonly close: () => void;
}

/** Opens a session on `target`; rejects with the server's error, or when it does not answer within `deadlineMs`. */
export function openSession(target: Target, deadlineMs: number): Promise<Session> {
  return new Promise((resolveOpen, rejectOpen) => {
    const socket = net.connect({ path: target.socket });
    // What the next ReadyForQuery settles: the opening, then each query in turn.
    let pending: { readonly resolve: (rows: Row[]) => void; readonly reject: (e: Error) => void } | undefined = {
      resolve: () => resolveOpen({ query, close: () => socket.end(terminateMessage()) }),
      reject: rejectOpen,
    };
    let columns: string[] = [];
    let rows: Row[] = [];
    let failure: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    const wait = (what: string) => {
      timer = setTimeout(() => fail(new Error(`${what}: no answer within ${deadlineMs} ms`)), deadlineMs);
    };
    const fail = (e: Error) => {
      clearTimeout(timer);
      socket.destroy();
      const settle = pending;
      pending = undefined;
      settle?.reject(e);
    };
    const query = (sql: string) => new Promise<Row[]>((resolve, reject) => {
      if (pending || socket.destroyed) {
        reject(new Error(`'${sql}' cannot run: the session is ${socket.destroyed ? 'closed' : 'busy'}`));
        return;
      }
      pending = { resolve, reject };
      columns = [];
      rows = [];
      failure = undefined;
      wait(`'${sql}'`);
      socket.write(queryMessage(sql));
    });
    wait(`connecting to ${target.socket}`);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(startupMessage(target)));
    socket.on('error', (e) => fail(e));
    // A fatal error (while connecting) is followed by the server closing the connection; any other by ReadyForQuery.
    socket.on('close', () => fail(failure ?? new Error('the server closed the connection')));
    onMessages(socket, (type, body) => {
      if (type === 'E') {
        failure = new Error(errorMessage(body));
      } else if (type === 'R' && body.readInt32BE(0) !== AUTHENTICATION_OK) {
        fail(new Error(`the server asks for authentication method ${body.readInt32BE(0)}; rehearsals use trust on a private socket`));
      } else if (type === 'T') {
        columns = rowDescription(body);
      } else if (type === 'D') {
        rows.push(dataRow(body, columns));
      } else if (type === 'Z') {
        clearTimeout(timer);
        const settle = pending;
        pending = undefined;
        if (failure) settle?.reject(failure);
        else settle?.resolve(rows);
      }
    });
  });
}

/** Calls `handle` with each whole message the socket receives. */
function onMessages(socket: net.Socket, handle: (type: string, body: Buffer) => void): void {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 5 && !socket.destroyed) {
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) break;
      const type = String.fromCharCode(buffer[0]);
      const body = buffer.subarray(5, 1 + length);
      buffer = buffer.subarray(1 + length);
      handle(type, body);
    }
  });
}

function startupMessage(target: Target): Buffer {
  const pairs = Buffer.from(`user\0${target.user}\0database\0${target.database}\0application_name\0connection-budget-rehearsal\0\0`, 'utf8');
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

/** The column names of a RowDescription: each a name, then 18 bytes of type information. */
function rowDescription(body: Buffer): string[] {
  const names: string[] = [];
  let offset = 2;
  for (let i = body.readInt16BE(0); i > 0; i--) {
    const end = body.indexOf(0, offset);
    names.push(body.subarray(offset, end).toString('utf8'));
    offset = end + 1 + 18;
  }
  return names;
}

/** A DataRow's values (text format), by column name. */
function dataRow(body: Buffer, columns: readonly string[]): Row {
  const row: Record<string, string | null> = {};
  let offset = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const length = body.readInt32BE(offset);
    offset += 4;
    row[columns[i]] = length < 0 ? null : body.subarray(offset, offset + length).toString('utf8');
    offset += Math.max(0, length);
  }
  return row;
}
