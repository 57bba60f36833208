import { BudgetInput, evaluateBudget, formatProblem, TlsSetting } from '../../../lib/budget';
import { budget, ecsService, postgresBehindProxy } from '../fixtures';

const proxyOff: TlsSetting = { path: 'Data/Proxy', state: 'not-required', basis: 'RequireTLS is false', fix: "Set requireTLS: true on 'Data/Proxy'" };
const proxyUnknown: TlsSetting = { path: 'Data/Proxy', state: 'unknown', basis: 'its RequireTLS is known only at deploy', fix: "Give the RequireTLS of 'Data/Proxy' as the literal true" };
const proxyOn: TlsSetting = { ...proxyOff, state: 'required', basis: 'RequireTLS is true' };
const databaseOff: TlsSetting = { path: 'Data/Db', state: 'not-required', basis: "rds.force_ssl is '0' in the parameter group 'Data/Params'", fix: "Set rds.force_ssl to 1 in the parameter group 'Data/Params'" };
const databaseUnknown: TlsSetting = { ...databaseOff, state: 'unknown', basis: "its parameter group, 'shared', is not defined in this app" };
const databaseOn: TlsSetting = { ...databaseOff, state: 'required', basis: "rds.force_ssl is '1' in the parameter group 'Data/Params'" };

const ACK = 'or acknowledge CB-TLS-NOT-REQUIRED on the budget if plain text is intended. [CB-TLS-NOT-REQUIRED]';
const api = ecsService('Services/Api', { maxTasks: 2 });
const admin = { ...ecsService('Services/Admin', { maxTasks: 1, pool: 2 }), route: 'direct' as const };
const behindProxy = (extra: Partial<BudgetInput>, reservations = [{ name: 'migrations', connections: 2, throughProxy: true }]) =>
  budget(postgresBehindProxy(1000, 90, { reservations }), [api], extra);
const withoutProxy = (extra: Partial<BudgetInput>) => budget({ ...postgresBehindProxy(1000, 90), proxy: undefined }, [api], extra);

describe('CB-TLS-NOT-REQUIRED', () => {
  test.each([
    ['a proxy that does not require TLS', behindProxy({ tls: { proxy: proxyOff, database: databaseOn } }), [
      "ConnectionBudget 'Data/Budget': the proxy 'Data/Proxy' does not require TLS (RequireTLS is false), so clients may connect to it in plain text. "
      + `Set requireTLS: true on 'Data/Proxy', ${ACK}`,
    ]],
    ['a proxy whose setting is known only at deploy', behindProxy({ tls: { proxy: proxyUnknown, database: databaseOn } }), [
      "ConnectionBudget 'Data/Budget': whether the proxy 'Data/Proxy' requires TLS cannot be verified: its RequireTLS is known only at deploy. "
      + "If it does not, clients may connect to it in plain text. Give the RequireTLS of 'Data/Proxy' as the literal true, " + ACK,
    ]],
    ['a database without TLS that only the proxy reaches', behindProxy({ tls: { proxy: proxyOn, database: databaseOff } }), []],
    ['a database without TLS and no proxy', withoutProxy({ tls: { database: databaseOff } }), [
      "ConnectionBudget 'Data/Budget': the database 'Data/Db' does not require TLS (rds.force_ssl is '0' in the parameter group 'Data/Params'), "
      + 'so the clients that connect to it directly (every client: the budget has no proxy) may do so in plain text. '
      + `Set rds.force_ssl to 1 in the parameter group 'Data/Params', ${ACK}`,
    ]],
    ['a database without TLS that a consumer and a reservation reach around the proxy',
      { ...behindProxy({ tls: { proxy: proxyOn, database: databaseOff } }, [{ name: 'migrations', connections: 2, throughProxy: false }]), consumers: [api, admin] }, [
        "ConnectionBudget 'Data/Budget': the database 'Data/Db' does not require TLS (rds.force_ssl is '0' in the parameter group 'Data/Params'), "
        + "so the clients that connect to it directly ('Services/Admin' and reservation 'migrations') may do so in plain text. "
        + `Set rds.force_ssl to 1 in the parameter group 'Data/Params', ${ACK}`,
      ]],
    ['a database whose setting cannot be read, with no proxy', withoutProxy({ tls: { database: databaseUnknown } }), [
      "ConnectionBudget 'Data/Budget': whether the database 'Data/Db' requires TLS cannot be verified: its parameter group, 'shared', is not defined in this app. "
      + 'If it does not, the clients that connect to it directly (every client: the budget has no proxy) may do so in plain text. '
      + `Set rds.force_ssl to 1 in the parameter group 'Data/Params', ${ACK}`,
    ]],
    ['both, the proxy first', { ...behindProxy({ tls: { proxy: proxyOff, database: databaseOff } }), consumers: [api, admin] }, [
      expect.stringContaining("the proxy 'Data/Proxy' does not require TLS"),
      expect.stringContaining("the clients that connect to it directly ('Services/Admin')"),
    ]],
    ['both required', { ...behindProxy({ tls: { proxy: proxyOn, database: databaseOn } }), consumers: [api, admin] }, []],
    ['not read (a budget built from an allocation)', withoutProxy({}), []],
  ])('%s', (_name, input, messages) => {
    expect(evaluateBudget(input).problems.filter((p) => p.id === 'CB-TLS-NOT-REQUIRED').map(formatProblem)).toEqual(messages);
  });

  test('is a warning about the proxy or the database, so it can be acknowledged by its ID', () => {
    const [problem] = evaluateBudget(behindProxy({ tls: { proxy: proxyOff } })).problems.filter((p) => p.id === 'CB-TLS-NOT-REQUIRED');
    expect([problem.level, problem.subject]).toEqual(['warning', 'Data/Proxy']);
  });
});
