import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { rehearsalPlan } from '../../lib/budget';
import { Keeper, startKeeper } from '../../lib/cli/rehearse/keeper';
import { createRunDirectory, readPid } from '../../lib/cli/rehearse/run-directory';
import { chooseServers, serviceUser } from '../../lib/cli/rehearse/servers';
import { ADMIN_ROLE, runSockets, StandIn, startStandIn } from '../../lib/cli/rehearse/stand-in';
import { openSession } from '../../lib/cli/rehearse/wire';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from '../budget/fixtures';
import { PROXY_STAND_INS_HERE, REHEARSAL_TIMEOUT_MS } from '../helpers/servers';

jest.setTimeout(REHEARSAL_TIMEOUT_MS);

// The stand-in trusts whoever connects, as any role: only the servers' user and root may reach it. Real PostgreSQL, and PgBouncer where installed.

const isRoot = process.getuid!() === 0;
/** The user the servers run as: postgres (or nobody) when the tests run as root. */
const serverUser = serviceUser() ?? { uid: process.getuid!(), gid: process.getgid!() };
/** Another local user: a uid and gid no account of the machine has. */
const OTHER_USER = { uid: 54321, gid: 54321 };

/** The inodes of the sockets a process holds open: its /proc/<pid>/fd links read `socket:[<inode>]`. */
function socketInodes(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    const link = /^socket:\[(\d+)\]$/.exec(readLink(`/proc/${pid}/fd/${fd}`));
    return link ? [link[1]] : [];
  });
}

/** Where a link points, or nothing once it is gone (a descriptor closed since the directory was read). */
function readLink(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** /proc/net/tcp's state of a listening socket (include/net/tcp_states.h, TCP_LISTEN = 10). */
const TCP_LISTEN = '0A';

/** The inodes of every listening TCP socket, IPv4 and IPv6 (proc(5): the state is the 4th field, the inode the 10th). */
function tcpListeners(): Set<string> {
  return new Set(['/proc/net/tcp', '/proc/net/tcp6'].filter((file) => fs.existsSync(file)).flatMap((file) =>
    fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === TCP_LISTEN).map((fields) => fields[9])));
}

/** /proc/net/unix's flags of a listening socket (__SO_ACCEPTCON). */
const UNIX_LISTENING = '00010000';

/** The path of every listening Unix socket, by inode (proc(5): flags are the 4th field, the inode the 7th, the path the 8th). */
function unixListeners(): Map<string, string> {
  return new Map(fs.readFileSync('/proc/net/unix', 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === UNIX_LISTENING && fields[7] !== undefined).map((fields) => [fields[6], fields[7]]));
}

/** What a Node process of `user` gets when it connects to `socket`: `connected`, or the error's code. */
function connectAs(user: { uid: number; gid: number }, socket: string): string {
  const script = 'require("net").connect({ path: process.argv[1] })'
    + '.on("connect", () => { console.log("connected"); process.exit(0); })'
    + '.on("error", (e) => { console.log(e.code); process.exit(0); })';
  return execFileSync(process.execPath, ['-e', script, socket], { ...user, cwd: '/', encoding: 'utf8' }).trim();
}

describe.each(PROXY_STAND_INS_HERE)('a running stand-in, the proxy\'s ceiling held by %s', (proxyStandIn) => {
  // ceiling floor(100 × 50 %) − 5 = 45; 1 task × 200 % × pool 2 = 4 clients through the proxy
  const plan = rehearsalPlan(ledgerOf(budget(postgresBehindProxy(100, 50), [ecsService('Web/Api', { maxTasks: 1, pool: 2 })])));
  let keeper: Keeper;
  let standIn: StandIn | undefined;
  beforeAll(async () => {
    keeper = startKeeper(createRunDirectory());
    standIn = await startStandIn(plan, 5, keeper, chooseServers(true, proxyStandIn));
  });
  afterAll(async () => {
    standIn?.close();
    await keeper.stop();
  });
  /** The run's sockets: PostgreSQL's, and PgBouncer's when it runs. */
  const sockets = () => (proxyStandIn === 'pgbouncer' ? Object.values(runSockets(keeper.dir)) : [runSockets(keeper.dir).database]);

  test('listens on no TCP address: each server listens only on its socket in the run directory', () => {
    const tcp = tcpListeners();
    const unix = unixListeners();
    const listening = (server: 'postgres' | 'pgbouncer') => {
      const inodes = socketInodes(readPid(keeper.dir, server)!);
      return { tcp: inodes.filter((inode) => tcp.has(inode)), unix: inodes.flatMap((inode) => unix.get(inode) ?? []) };
    };
    expect(listening('postgres')).toEqual({ tcp: [], unix: [runSockets(keeper.dir).database] });
    if (proxyStandIn === 'pgbouncer') expect(listening('pgbouncer')).toEqual({ tcp: [], unix: [runSockets(keeper.dir).proxy] });
    else expect(readPid(keeper.dir, 'pgbouncer')).toBeUndefined();
  });

  test('keeps its sockets in a directory of mode 0700 that belongs to the servers\' user, and they are mode 0600', () => {
    const dir = fs.statSync(keeper.dir);
    expect({ mode: (dir.mode & 0o777).toString(8), uid: dir.uid }).toEqual({ mode: '700', uid: serverUser.uid });
    for (const socket of sockets()) {
      const stat = fs.statSync(socket);
      expect({ socket: stat.isSocket(), mode: (stat.mode & 0o777).toString(8), uid: stat.uid }).toEqual({ socket: true, mode: '600', uid: serverUser.uid });
    }
  });

  test('trusts connections on its socket only: PostgreSQL rejects every TCP connection its rules could meet', async () => {
    const admin = await openSession({ socket: runSockets(keeper.dir).database, user: ADMIN_ROLE, database: 'postgres' }, 10_000);
    try {
      const rules = await admin.query('SELECT DISTINCT type, auth_method FROM pg_hba_file_rules ORDER BY type');
      expect(rules).toEqual([{ type: 'host', auth_method: 'reject' }, { type: 'local', auth_method: 'trust' }]);
      expect(await admin.query('SHOW listen_addresses')).toEqual([{ listen_addresses: '' }]);
    } finally {
      admin.close();
    }
  });

  (isRoot ? test : test.skip)('lets another local user connect to neither server, and the servers\' user to both (root connects too)', () => {
    expect(sockets().map((socket) => connectAs(OTHER_USER, socket))).toEqual(sockets().map(() => 'EACCES'));
    expect(sockets().map((socket) => connectAs(serverUser, socket))).toEqual(sockets().map(() => 'connected'));
    expect(sockets().map((socket) => connectAs({ uid: 0, gid: 0 }, socket))).toEqual(sockets().map(() => 'connected'));
  });
});
