import { sortText } from './text';

/**
 * Defaults of a derived (weighted) pool. The max keeps a lone derived consumer from being handed a
 * pool of hundreds: past about twice a task's cores, a bigger pool adds contention, not throughput
 * (SOURCES.hikariPoolSizing: connections = cores × 2 + effective spindles), and 20 covers an
 * 8-vCPU task. Raise it explicitly for bigger tasks.
 */
export const DEFAULT_SHARE = { weight: 1, min: 1, max: 20 } as const;

/** A pool size: declared, or a weighted share of what fixed consumers leave, clamped to [min, max]. */
export type PoolRequest =
  | { readonly kind: 'fixed'; readonly size: number }
  | { readonly kind: 'share'; readonly weight: number; readonly min: number; readonly max: number };

/** One consumer as allocation sees it. */
export interface AllocationRequest {
  /** Unique, also the tie-breaker that makes the result independent of input order. */
  readonly id: string;
  /**
   * Connections one more unit of pool size always costs: peak instances × processes × pools, or for a service deploying
   * in a chain its most tasks without surge × processes × pools.
   */
  readonly connectionsPerPoolUnit: number;
  /** Connections held whatever the pool size (overflow). */
  readonly fixedConnections: number;
  readonly pool: PoolRequest;
  /** For a service deploying in a chain: its surge, of which only the largest service's per chain counts. @default - none */
  readonly surge?: AllocationSurge;
}

/** The part of a chained consumer's worst case that only counts while its service is the one deploying. */
export interface AllocationSurge {
  /** The chain: only the largest surge of its services counts. */
  readonly chain: string;
  /** The service: the surges of its consumers add up. */
  readonly service: string;
  /** Surge tasks (peak − steady) × processes × pools. */
  readonly connectionsPerPoolUnit: number;
  /** Surge tasks × processes × pools × overflow. */
  readonly fixedConnections: number;
}

/** The pool size of every request and what they add up to. */
export interface Allocation {
  readonly poolSizes: ReadonlyMap<string, number>;
  /** Fixed pools and the minimum of every share: what must fit. */
  readonly required: number;
  /** Total worst-case connections with the allocated pool sizes. */
  readonly allocated: number;
  /** How far `required` exceeds the capacity; 0 when it fits. */
  readonly shortfall: number;
}

/**
 * Allocates pool sizes within `capacity` connections.
 *
 * The cost of a set of pool sizes is every request's connections plus, per chain, the largest of its services' surges.
 * Fixed pools and every share's minimum are required. When they fit, shares grow one unit at a time, always the one
 * whose connections per weight (at its own peak) would be lowest after the step (ties by id), by what the step adds to
 * the cost, until no share can grow without passing its max or the capacity. The result is integer, deterministic,
 * independent of input order, never above capacity, and maximal: no share below its max could grow by one. When the
 * requirement does not fit, every share stays at its minimum and `shortfall` says by how much the capacity falls short.
 */
export function allocate(capacity: number, requests: readonly AllocationRequest[]): Allocation {
  assertValid(capacity, requests);
  const poolSizes = new Map<string, number>();
  const surges = new SurgeTotals();
  let base = 0;
  for (const request of requests) {
    const size = request.pool.kind === 'fixed' ? request.pool.size : request.pool.min;
    poolSizes.set(request.id, size);
    base += request.fixedConnections + request.connectionsPerPoolUnit * size;
    if (request.surge) surges.add(request.surge, request.surge.fixedConnections + request.surge.connectionsPerPoolUnit * size);
  }
  const required = base + surges.total;
  if (required > capacity) {
    return { poolSizes, required, allocated: required, shortfall: required - capacity };
  }

  let used = required;
  const growing = new ShareHeap();
  // Ties go by id; each id's place in that order is found once, not at every comparison of the heap.
  const rank = new Map(sortText(requests.filter((r) => r.pool.kind === 'share').map((r) => r.id)).map((id, i) => [id, i]));
  for (const request of requests) {
    if (request.pool.kind !== 'share') {
      continue;
    }
    const perUnit = request.connectionsPerPoolUnit + (request.surge?.connectionsPerPoolUnit ?? 0);
    if (perUnit === 0) {
      // No instance can run, so the size costs nothing; hand out the most the consumer accepts.
      poolSizes.set(request.id, request.pool.max);
    } else if (request.pool.min < request.pool.max) {
      growing.push({ id: request.id, rank: rank.get(request.id)!, level: perUnit, unit: request.connectionsPerPoolUnit, surge: request.surge, weight: request.pool.weight, max: request.pool.max, size: request.pool.min });
    }
  }
  for (let share = growing.pop(); share; share = growing.pop()) {
    const step = share.unit + (share.surge ? surges.growth(share.surge, share.surge.connectionsPerPoolUnit) : 0);
    // A share that does not fit now never will: a step gets cheaper only when its chain's largest surge grows, and
    // whoever grew it paid that growth out of the same remainder.
    if (step > capacity - used) {
      continue;
    }
    share.size += 1;
    used += step;
    if (share.surge) surges.add(share.surge, share.surge.connectionsPerPoolUnit);
    poolSizes.set(share.id, share.size);
    if (share.size < share.max) {
      growing.push(share);
    }
  }
  return { poolSizes, required, allocated: used, shortfall: 0 };
}

/** The surge of every service, and the largest per chain: what the chains add to the cost. */
class SurgeTotals {
  public total = 0;
  private readonly services = new Map<string, number>();
  private readonly largest = new Map<string, number>();

  /** What adding `connections` to a service's surge adds to the total. */
  public growth(surge: AllocationSurge, connections: number): number {
    const key = serviceKey(surge);
    return Math.max(0, (this.services.get(key) ?? 0) + connections - (this.largest.get(surge.chain) ?? 0));
  }

  public add(surge: AllocationSurge, connections: number): void {
    const key = serviceKey(surge);
    const grown = (this.services.get(key) ?? 0) + connections;
    this.total += this.growth(surge, connections);
    this.services.set(key, grown);
    this.largest.set(surge.chain, Math.max(this.largest.get(surge.chain) ?? 0, grown));
  }
}

/** A service within its chain, apart from a service of the same name in another chain. */
function serviceKey(surge: AllocationSurge): string {
  return JSON.stringify([surge.chain, surge.service]);
}

function assertValid(capacity: number, requests: readonly AllocationRequest[]): void {
  const isCount = (n: number) => Number.isInteger(n) && n >= 0;
  if (!isCount(capacity)) {
    throw new Error(`allocate: capacity must be a whole number >= 0, got ${capacity}`);
  }
  const ids = new Set<string>();
  for (const r of requests) {
    if (ids.has(r.id)) {
      throw new Error(`allocate: duplicate request id '${r.id}'`);
    }
    ids.add(r.id);
    const pool = r.pool;
    const valid = isCount(r.connectionsPerPoolUnit) && isCount(r.fixedConnections) && (pool.kind === 'fixed'
      ? isCount(pool.size)
      : isCount(pool.min) && isCount(pool.max) && pool.min <= pool.max && pool.weight > 0 && Number.isFinite(pool.weight))
      && (r.surge === undefined || (isCount(r.surge.connectionsPerPoolUnit) && isCount(r.surge.fixedConnections)));
    if (!valid) {
      throw new Error(`allocate: invalid request '${r.id}': ${JSON.stringify(r)}`);
    }
  }
}

interface GrowingShare {
  readonly id: string;
  /** The place of its id in compareText's order among the shares. */
  readonly rank: number;
  /** Connections per pool unit at the consumer's own peak: what fairness between shares is measured in. */
  readonly level: number;
  /** Connections per pool unit the step always costs. */
  readonly unit: number;
  readonly surge?: AllocationSurge;
  readonly weight: number;
  readonly max: number;
  size: number;
}

/** Orders shares by connections per weight after one more unit; ties by id. */
function before(a: GrowingShare, b: GrowingShare): boolean {
  // Cross-multiplied to compare unit × (size + 1) / weight without dividing.
  const levelA = a.level * (a.size + 1) * b.weight;
  const levelB = b.level * (b.size + 1) * a.weight;
  return levelA !== levelB ? levelA < levelB : a.rank < b.rank;
}

/** A binary min-heap of growing shares. */
class ShareHeap {
  private readonly items: GrowingShare[] = [];

  public push(item: GrowingShare): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) {
        break;
      }
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  public pop(): GrowingShare | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && before(items[left], items[smallest])) {
          smallest = left;
        }
        if (right < items.length && before(items[right], items[smallest])) {
          smallest = right;
        }
        if (smallest === i) {
          break;
        }
        [items[i], items[smallest]] = [items[smallest], items[i]];
        i = smallest;
      }
    }
    return top;
  }
}
