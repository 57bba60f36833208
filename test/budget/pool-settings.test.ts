import { derivePoolSettings, PROXY_MAX_CLIENT_CONNECTION_LIFETIME_MS } from '../../lib/budget';

describe('derivePoolSettings', () => {
  test.each([
    // [description, request, expected]
    ['defaults without a proxy', { poolSize: 10, overflowPerPool: 0 },
      { maxSize: 10, minIdle: 1, maxOverflow: 0, acquireTimeoutMs: 30000, idleTimeoutMs: 600000, maxLifetimeMs: 1800000 }],
    ['the proxy default IdleClientTimeout (1,800 s) leaves the 10-minute idle timeout', { poolSize: 10, overflowPerPool: 2, proxyIdleClientTimeoutSeconds: 1800 },
      { maxSize: 10, minIdle: 1, maxOverflow: 2, acquireTimeoutMs: 30000, idleTimeoutMs: 600000, maxLifetimeMs: 1800000 }],
    ['a short IdleClientTimeout halves into the idle timeout', { poolSize: 10, overflowPerPool: 0, proxyIdleClientTimeoutSeconds: 301 },
      { maxSize: 10, minIdle: 1, maxOverflow: 0, acquireTimeoutMs: 30000, idleTimeoutMs: 150500, maxLifetimeMs: 1800000 }],
    ['minimum idle never exceeds the pool', { poolSize: 2, overflowPerPool: 0, minIdle: 5, acquireTimeoutMs: 5000 },
      { maxSize: 2, minIdle: 2, maxOverflow: 0, acquireTimeoutMs: 5000, idleTimeoutMs: 600000, maxLifetimeMs: 1800000 }],
  ])('%s', (_name, request, expected) => {
    expect(derivePoolSettings(request)).toEqual(expected);
  });

  test('idle timeout stays below the proxy\'s idle client timeout, and lifetime below its 24-hour limit', () => {
    for (const idleClientTimeoutSeconds of [1, 2, 60, 299, 1800, 28800]) {
      const settings = derivePoolSettings({ poolSize: 5, overflowPerPool: 0, proxyIdleClientTimeoutSeconds: idleClientTimeoutSeconds });
      expect(settings.idleTimeoutMs).toBeLessThan(idleClientTimeoutSeconds * 1000);
      expect(settings.maxLifetimeMs).toBeLessThan(PROXY_MAX_CLIENT_CONNECTION_LIFETIME_MS);
    }
  });
});
