/**
 * Client pool settings delivered with each pool size, consistent with RDS Proxy's timeouts.
 *
 * Defaults follow HikariCP's documented defaults where a framework-neutral value is needed
 * (SOURCES.hikariReadme): connectionTimeout 30 s, idleTimeout 10 min, maxLifetime 30 min.
 */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
export const DEFAULT_MAX_LIFETIME_MS = 1_800_000;

/**
 * One warm connection per pool: the first request does not pay the connect, and a deploy that
 * starts many tasks at once opens one connection per pool, not the whole pool.
 */
export const DEFAULT_MIN_IDLE = 1;

/** RDS Proxy closes client connections idle longer than IdleClientTimeout: 1,800 s unless set (SOURCES.rdsProxyConnections). */
export const PROXY_DEFAULT_IDLE_CLIENT_TIMEOUT_SECONDS = 1800;

/** RDS Proxy ends every client connection after 24 hours; not configurable (SOURCES.rdsProxyConnections). */
export const PROXY_MAX_CLIENT_CONNECTION_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * The client's idle timeout is at most this fraction of the proxy's IdleClientTimeout, so the pool
 * retires an idle connection well before the proxy drops it under the application.
 */
export const IDLE_TIMEOUT_SHARE_OF_PROXY_IDLE_CLIENT_TIMEOUT = 0.5;

/** What a consumer asks for beyond the pool size. */
export interface PoolSettingsRequest {
  readonly poolSize: number;
  readonly overflowPerPool: number;
  readonly minIdle?: number;
  readonly acquireTimeoutMs?: number;
  /** The proxy's IdleClientTimeout; absent when clients connect to the database directly. */
  readonly proxyIdleClientTimeoutSeconds?: number;
}

/** The settings one pool is given. */
export interface PoolSettings {
  readonly maxSize: number;
  readonly minIdle: number;
  readonly maxOverflow: number;
  readonly acquireTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

/** Settings for one pool: minimum idle never above the pool, timeouts inside the proxy's limits. */
export function derivePoolSettings(request: PoolSettingsRequest): PoolSettings {
  const proxyIdle = request.proxyIdleClientTimeoutSeconds;
  const idleTimeoutMs = proxyIdle === undefined
    ? DEFAULT_IDLE_TIMEOUT_MS
    : Math.min(DEFAULT_IDLE_TIMEOUT_MS, Math.floor(proxyIdle * 1000 * IDLE_TIMEOUT_SHARE_OF_PROXY_IDLE_CLIENT_TIMEOUT));
  return {
    maxSize: request.poolSize,
    minIdle: Math.min(request.minIdle ?? DEFAULT_MIN_IDLE, request.poolSize),
    maxOverflow: request.overflowPerPool,
    acquireTimeoutMs: request.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
    idleTimeoutMs,
    maxLifetimeMs: Math.min(DEFAULT_MAX_LIFETIME_MS, PROXY_MAX_CLIENT_CONNECTION_LIFETIME_MS),
  };
}
