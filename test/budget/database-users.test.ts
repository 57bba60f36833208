import fc from 'fast-check';
import { databaseUserName, MYSQL_MAX_USER_NAME_LENGTH, POSTGRES_MAX_USER_NAME_LENGTH } from '../../lib/budget';
import { routeValues } from '../../lib/budget/route';

describe('databaseUserName', () => {
  test.each([
    ['rds-postgresql', 'Services/Web', 'cb_services_web_e9a7a9a3'],
    // MySQL keeps 32 characters: the end of the path, from a whole word.
    ['rds-mysql', 'PlatformWeb/Storefront/Service', 'cb_storefront_service_00f31b9b'],
    ['rds-mysql', 'Services/Web', 'cb_services_web_e9a7a9a3'],
    // Nothing of the path is a letter or digit: the hash alone.
    ['rds-mysql', '///', 'cb_732c4e97'],
  ] as const)('%s %s → %s', (engine, path, name) => {
    expect(databaseUserName(engine, path)).toEqual(name);
  });

  test('a long path keeps its last whole words within PostgreSQL\'s 63 characters', () => {
    expect(databaseUserName('rds-postgresql', 'PlatformBackend/OrderWorker/QueueProcessingFargateService[outbox-relay]'))
      .toBe('cb_queueprocessingfargateservice_outbox_relay_55374daa');
  });

  test('property: any path gives a name the user manager accepts, within the engine\'s limit, different for different paths', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.constantFrom('rds-postgresql', 'rds-mysql', 'aurora-mysql') as fc.Arbitrary<'rds-postgresql'>, (a, b, engine) => {
      const name = databaseUserName(engine, a);
      const max = engine === 'rds-postgresql' ? POSTGRES_MAX_USER_NAME_LENGTH : MYSQL_MAX_USER_NAME_LENGTH;
      expect(name).toMatch(/^cb_[a-z0-9_]+$/);
      expect(name.length).toBeLessThanOrEqual(max);
      if (a !== b) expect(databaseUserName(engine, b)).not.toBe(name);
    }));
  });
});

describe('credentials in the route', () => {
  const route = { engine: 'rds-postgresql' as const, host: 'proxy', port: '5432', databaseName: 'app' };
  const credentials = { user: 'cb_web_1', secretArn: 'arn:secret' };

  test.each([
    [{ framework: 'generic', prefix: 'DB_POOL' }, ['DB_USER', 'DB_SECRET_ARN']],
    [{ framework: 'spring-boot-hikari', prefix: 'SPRING_DATASOURCE_HIKARI' }, ['SPRING_DATASOURCE_USERNAME', 'SPRING_DATASOURCE_SECRET_ARN']],
    [{ framework: 'rails' }, ['DATABASE_USERNAME', 'DATABASE_SECRET_ARN']],
    [{ framework: 'node-postgres', prefix: 'PG_POOL' }, ['PGUSER', 'PG_SECRET_ARN']],
  ] as const)('%o delivers the user and the secret\'s ARN as %o, never a password', (preset, names) => {
    const values = routeValues(preset as never, { ...route, credentials });
    expect(values.filter(([name]) => names.includes(name as never))).toEqual([[names[0], 'cb_web_1'], [names[1], 'arn:secret']]);
    expect(values.map(([name]) => name).join()).not.toMatch(/PASSWORD/);
    expect(routeValues(preset as never, route).map(([name]) => name)).not.toContain(names[0]);
  });
});
