/**
 * Handles order events. One execution environment serves one request at a time, so its pool
 * needs one connection; the budget delivers the pool settings (PG_POOL_*) in the environment.
 * A real handler would create `new Pool({ max: Number(process.env.PG_POOL_MAX), ... })` once,
 * outside the handler, and connect through the proxy endpoint.
 */
export async function handler(event: { orders?: unknown[] }): Promise<{ processed: number; poolMax: number }> {
  return { processed: event.orders?.length ?? 0, poolMax: Number(process.env.PG_POOL_MAX) };
}
