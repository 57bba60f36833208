import { EngineKind } from '../../lib/budget';
import { openClients } from '../../lib/template/open-clients';
import { databaseTls, DatabaseTlsResources, proxyTls } from '../../lib/template/tls-facts';

const PROXY_FIX = "Set requireTLS: true on 'Data/Proxy' (the DatabaseProxy default) and remove any override of its RequireTLS";
const TOKEN = { Ref: 'RequireTls' };

describe('proxyTls reads RequireTLS as it deploys', () => {
  test.each([
    ['true, as CDK writes it', { RequireTLS: true }, 'required', 'RequireTLS is true', PROXY_FIX],
    ['the string true, in camel case as a resolved L1 writes it', { requireTls: 'true' }, 'required', 'RequireTLS is true', PROXY_FIX],
    ['false', { RequireTLS: false }, 'not-required', 'RequireTLS is false', PROXY_FIX],
    ['the string false', { RequireTLS: 'false' }, 'not-required', "RequireTLS is 'false'", PROXY_FIX],
    ['absent: the CloudFormation default does not require TLS', {}, 'not-required', 'RequireTLS is not set, and RDS Proxy requires TLS only when it is true', PROXY_FIX],
    ['false in one branch of a condition', { RequireTLS: { 'Fn::If': ['Prod', true, false] } }, 'not-required', 'RequireTLS is false in a branch of its condition', PROXY_FIX],
    ['left out in one branch of a condition', { RequireTLS: { 'Fn::If': ['Prod', true, { Ref: 'AWS::NoValue' }] } }, 'not-required',
      'RequireTLS is not set in a branch of its condition, and RDS Proxy requires TLS only when it is true', PROXY_FIX],
    ['a token', { RequireTLS: TOKEN }, 'unknown', 'its RequireTLS is known only at deploy', "Give the RequireTLS of 'Data/Proxy' as the literal true (requireTLS: true)"],
    ['a string that is neither', { RequireTLS: 'yes' }, 'unknown', "its RequireTLS is 'yes', neither on nor off", "Give the RequireTLS of 'Data/Proxy' as the literal true (requireTLS: true)"],
  ])('%s', (_name, properties, state, basis, fix) => {
    expect(proxyTls('Data/Proxy', properties)).toEqual({ path: 'Data/Proxy', state, basis, fix });
  });
});

describe('databaseTls reads the TLS parameter, else the engine version\'s default', () => {
  const group = (parameters: unknown) => ({ path: 'Data/Params', properties: { Parameters: parameters } });
  const resources = (engine: EngineKind, engineVersion: unknown, parameterGroup?: DatabaseTlsResources['parameterGroup']): DatabaseTlsResources =>
    ({ engine, engineVersion, parameterGroup });
  const inGroup = (name: string, value: string) => `Set ${name} to ${value} in the parameter group 'Data/Params'`;
  const ofDatabase = (name: string, value: string, cluster = false) => `Set ${name} to ${value} in the ${cluster ? 'cluster ' : ''}parameter group of 'Data/Db'`;

  test.each([
    ['rds.force_ssl 1', resources('rds-postgresql', '14', group({ 'rds.force_ssl': '1' })), 'required', "rds.force_ssl is '1' in the parameter group 'Data/Params'",
      inGroup('rds.force_ssl', '1')],
    ['rds.force_ssl 0 on PostgreSQL 16', resources('rds-postgresql', '16', group({ 'rds.force_ssl': 0 })), 'not-required', "rds.force_ssl is 0 in the parameter group 'Data/Params'",
      inGroup('rds.force_ssl', '1')],
    ['unset on PostgreSQL 14', resources('rds-postgresql', '14.9', group({ max_connections: '100' })), 'not-required',
      "rds.force_ssl is not set in the parameter group 'Data/Params', and RDS for PostgreSQL 14.9 does not require TLS by default, only from version 15",
      inGroup('rds.force_ssl', '1')],
    ['unset on PostgreSQL 15', resources('rds-postgresql', '15', group({})), 'required',
      "rds.force_ssl is not set in the parameter group 'Data/Params', and RDS for PostgreSQL 15 requires TLS by default", inGroup('rds.force_ssl', '1')],
    ['the default parameters of PostgreSQL 16', resources('rds-postgresql', '16.3'), 'required',
      "the database keeps the engine's default parameters, and RDS for PostgreSQL 16.3 requires TLS by default", ofDatabase('rds.force_ssl', '1')],
    ['the default parameters, with no engine version', resources('rds-postgresql', undefined), 'unknown',
      "the database keeps the engine's default parameters, its EngineVersion is not set (RDS picks one), and RDS for PostgreSQL requires TLS by default only from version 15",
      `${ofDatabase('rds.force_ssl', '1')}, or give its engine version`],
    ['the default parameters, with an engine version known only at deploy', resources('rds-postgresql', { Ref: 'Version' }), 'unknown',
      "the database keeps the engine's default parameters, its EngineVersion is known only at deploy, and RDS for PostgreSQL requires TLS by default only from version 15",
      `${ofDatabase('rds.force_ssl', '1')}, or give its engine version`],
    ['Aurora PostgreSQL on its defaults, whatever the version', resources('aurora-postgresql', '16.4'), 'not-required',
      "the database keeps the engine's default parameters, and Aurora PostgreSQL does not require TLS by default", ofDatabase('rds.force_ssl', '1', true)],
    ['Aurora MySQL require_secure_transport ON', resources('aurora-mysql', '8.0.mysql_aurora.3.05.2', group({ require_secure_transport: 'ON' })), 'required',
      "require_secure_transport is 'ON' in the parameter group 'Data/Params'", inGroup('require_secure_transport', 'ON')],
    ['MySQL 8.4 on its defaults', resources('rds-mysql', '8.4.3'), 'not-required',
      "the database keeps the engine's default parameters, and RDS for MySQL 8.4.3 does not require TLS by default, only from version 9.7",
      ofDatabase('require_secure_transport', '1')],
    ['MySQL 9.7 on its defaults', resources('rds-mysql', '9.7.0'), 'required',
      "the database keeps the engine's default parameters, and RDS for MySQL 9.7.0 requires TLS by default", ofDatabase('require_secure_transport', '1')],
    ['MariaDB 11.4 on its defaults', resources('rds-mariadb', '11.4.5'), 'not-required',
      "the database keeps the engine's default parameters, and RDS for MariaDB 11.4.5 does not require TLS by default, only from version 11.8",
      ofDatabase('require_secure_transport', '1')],
    ['MariaDB 11.8 with require_secure_transport OFF', resources('rds-mariadb', '11.8.2', group({ require_secure_transport: 'OFF' })), 'not-required',
      "require_secure_transport is 'OFF' in the parameter group 'Data/Params'", inGroup('require_secure_transport', '1')],
    ['a parameter known only at deploy', resources('rds-postgresql', '16', group({ 'rds.force_ssl': { Ref: 'ForceSsl' } })), 'unknown',
      "rds.force_ssl in the parameter group 'Data/Params' is known only at deploy", inGroup('rds.force_ssl', '1')],
    ['Parameters known only at deploy', resources('rds-postgresql', '16', group({ Ref: 'Parameters' })), 'unknown',
      "the Parameters of 'Data/Params' are known only at deploy", inGroup('rds.force_ssl', '1')],
    ['1 in one branch of a condition, 0 in the other', resources('rds-postgresql', '16', group({ 'rds.force_ssl': { 'Fn::If': ['Prod', '1', '0'] } })), 'not-required',
      "rds.force_ssl is '0' in the parameter group 'Data/Params'", inGroup('rds.force_ssl', '1')],
    ['a parameter group the app does not define', resources('rds-postgresql', '16', { path: 'Data/Db', external: "'shared-params'" }), 'unknown',
      "its parameter group, 'shared-params', is not defined in this app", ofDatabase('rds.force_ssl', '1')],
    ['a database the app does not define', undefined, 'unknown', 'it is not defined in this app, so its parameter group cannot be read', ofDatabase('rds.force_ssl', '1')],
  ])('%s', (_name, given, state, basis, fix) => {
    const engine = given?.engine ?? 'rds-postgresql';
    expect(databaseTls('Data/Db', engine, given)).toEqual({ path: 'Data/Db', state, basis, fix });
  });
});

describe('openClients finds reservation clients of every address', () => {
  test.each([
    ['0.0.0.0/0, as a resolved peer writes it', [{ cidrIp: '0.0.0.0/0' }], ['0.0.0.0/0']],
    ['::/0, as a template writes it', [{ CidrIpv6: '::/0' }], ['::/0']],
    ['any range with prefix length 0', [{ cidrIp: '10.0.0.0/0' }], ['10.0.0.0/0']],
    ['every address in one branch of a condition', [{ cidrIp: { 'Fn::If': ['Open', '0.0.0.0/0', '10.0.0.0/8'] } }], ['0.0.0.0/0']],
    ['a narrow range', [{ cidrIp: '10.9.0.0/16' }], []],
    ['a range ending in /0 of a longer prefix is not open', [{ cidrIp: '10.0.0.0/20' }], []],
    ['a range known only at deploy', [{ cidrIp: { 'Fn::GetAtt': ['Vpc', 'CidrBlock'] } }], []],
    ['a security group', [{ 'Fn::GetAtt': ['Group', 'GroupId'] }], []],
  ])('%s', (_name, clients, ranges) => {
    expect(openClients([{ name: 'bi', targetPath: 'Data/Proxy', clients }])).toEqual(ranges.map((range) => ({ reservation: 'bi', range, targetPath: 'Data/Proxy' })));
  });
});
