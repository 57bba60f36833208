import * as fc from 'fast-check';
import { allocate, AllocationRequest, PoolRequest } from '../../lib/budget';

const fixed = (id: string, unit: number, size: number, overflow = 0): AllocationRequest =>
  ({ id, connectionsPerPoolUnit: unit, fixedConnections: unit * overflow, pool: { kind: 'fixed', size } });
const share = (id: string, unit: number, weight: number, min: number, max: number): AllocationRequest =>
  ({ id, connectionsPerPoolUnit: unit, fixedConnections: 0, pool: { kind: 'share', weight, min, max } });

describe('allocate', () => {
  test.each([
    // [name, capacity, requests, expected pool sizes, expected allocated]
    ['fixed pools are taken as declared', 400, [fixed('a', 20, 10), fixed('b', 8, 5)], { a: 10, b: 5 }, 240],
    ['overflow counts', 100, [fixed('a', 4, 10, 5)], { a: 10 }, 60],
    ['equal weights split evenly', 200, [share('a', 10, 1, 1, 50), share('b', 10, 1, 1, 50)], { a: 10, b: 10 }, 200],
    ['weights split 2:1', 300, [share('a', 10, 2, 1, 50), share('b', 10, 1, 1, 50)], { a: 20, b: 10 }, 300],
    ['shares split what fixed pools leave', 300, [fixed('f', 10, 10), share('a', 10, 1, 1, 50), share('b', 10, 1, 1, 50)], { f: 10, a: 10, b: 10 }, 300],
    ['max clamps and the rest is redistributed', 300, [share('a', 10, 1, 1, 5), share('b', 10, 1, 1, 50)], { a: 5, b: 25 }, 300],
    ['min holds against a small weight', 100, [share('a', 10, 1, 4, 50), share('b', 10, 100, 1, 50)], { a: 4, b: 6 }, 100],
    ['leftover goes to whoever still fits', 105, [share('a', 50, 1, 1, 9), share('b', 1, 1, 1, 9)], { a: 1, b: 9 }, 59],
    ['a consumer with no instances costs nothing and gets its max', 10, [share('a', 0, 1, 1, 20), share('b', 5, 1, 1, 20)], { a: 20, b: 2 }, 10],
    ['no requests', 10, [], {}, 0],
    ['a tie goes to the id first as people read it (Svc9 before Svc10)', 30, [share('Svc10', 10, 1, 1, 5), share('Svc9', 10, 1, 1, 5)], { Svc9: 2, Svc10: 1 }, 30],
  ] as Array<[string, number, AllocationRequest[], Record<string, number>, number]>)('%s', (_name, capacity, requests, sizes, allocated) => {
    const result = allocate(capacity, requests);
    expect(Object.fromEntries(result.poolSizes)).toEqual(sizes);
    expect(result.allocated).toBe(allocated);
    expect(result.shortfall).toBe(0);
  });

  test('fails when fixed pools and minimums do not fit, with the exact shortfall', () => {
    const result = allocate(100, [fixed('a', 20, 4), share('b', 10, 1, 3, 10)]);
    expect(result).toMatchObject({ required: 110, shortfall: 10 });
    expect(Object.fromEntries(result.poolSizes)).toEqual({ a: 4, b: 3 });
  });

  test.each([
    ['a negative capacity', -1, []],
    ['a fractional capacity', 1.5, []],
    ['min above max', 10, [share('a', 1, 1, 5, 4)]],
    ['a zero weight', 10, [share('a', 1, 0, 1, 4)]],
    ['a fractional pool', 10, [fixed('a', 1, 2.5)]],
    ['duplicate ids', 10, [fixed('a', 1, 1), fixed('a', 1, 1)]],
  ] as Array<[string, number, AllocationRequest[]]>)('rejects %s', (_name, capacity, requests) => {
    expect(() => allocate(capacity, requests)).toThrow(/^allocate: /);
  });
});

describe('allocate properties', () => {
  const poolRequest: fc.Arbitrary<PoolRequest> = fc.oneof(
    fc.record({ kind: fc.constant('fixed' as const), size: fc.integer({ min: 1, max: 50 }) }),
    fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 60 }), fc.double({ min: 0.1, max: 10, noNaN: true }))
      .map(([min, extra, weight]) => ({ kind: 'share' as const, weight, min, max: min + extra })),
  );
  const request = (id: string): fc.Arbitrary<AllocationRequest> => fc.record({
    id: fc.constant(id),
    // peak tasks × processes × pools: 0 (scaled to zero) to a large fleet
    connectionsPerPoolUnit: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 400 })),
    fixedConnections: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 })),
    pool: poolRequest,
  });
  const topology = fc.integer({ min: 0, max: 40 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => request(`consumer-${i}`))))
    .chain((requests) => fc.tuple(fc.constant(requests), fc.integer({ min: 0, max: 20000 })));
  // Few distinct units and weights, so many shares tie and only the tie-break decides who grows.
  const tiedShare = (id: string): fc.Arbitrary<AllocationRequest> => fc.record({
    id: fc.constant(id),
    connectionsPerPoolUnit: fc.constantFrom(1, 2, 4),
    fixedConnections: fc.constant(0),
    pool: fc.record({ kind: fc.constant('share' as const), weight: fc.constantFrom(1, 2), min: fc.constant(0), max: fc.constant(30) }),
  });
  const tiedTopology = fc.integer({ min: 2, max: 12 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => tiedShare(`tied-${i}`))))
    .chain((requests) => fc.tuple(fc.constant(requests), fc.integer({ min: 0, max: 200 })));
  const runs = { numRuns: 3000 };

  const demandOf = (requests: readonly AllocationRequest[], sizes: ReadonlyMap<string, number>) =>
    requests.reduce((sum, r) => sum + r.fixedConnections + r.connectionsPerPoolUnit * sizes.get(r.id)!, 0);

  test('never exceeds capacity when the requirement fits, and reports the shortfall exactly when it does not', () => {
    fc.assert(fc.property(topology, ([requests, capacity]) => {
      const result = allocate(capacity, requests);
      const demand = demandOf(requests, result.poolSizes);
      return result.allocated === demand && (result.required <= capacity
        ? result.shortfall === 0 && demand <= capacity
        : result.shortfall === result.required - capacity && demand === result.required);
    }), runs);
  });

  test('every pool is a whole number within its request', () => {
    fc.assert(fc.property(topology, ([requests, capacity]) => {
      const result = allocate(capacity, requests);
      return requests.every((r) => {
        const size = result.poolSizes.get(r.id)!;
        return Number.isInteger(size) && (r.pool.kind === 'fixed' ? size === r.pool.size : size >= r.pool.min && size <= r.pool.max);
      });
    }), runs);
  });

  test('the result does not depend on the order of the requests', () => {
    fc.assert(fc.property(fc.oneof(topology, tiedTopology).chain(([requests, capacity]) =>
      fc.tuple(fc.constant(requests), fc.constant(capacity), fc.shuffledSubarray(requests, { minLength: requests.length, maxLength: requests.length }))),
    ([requests, capacity, shuffled]) => {
      const a = allocate(capacity, requests).poolSizes;
      const b = allocate(capacity, shuffled).poolSizes;
      return a.size === b.size && [...a].every(([id, size]) => b.get(id) === size);
    }), runs);
  });

  test('is maximal: no share below its max could grow without passing capacity', () => {
    fc.assert(fc.property(topology, ([requests, capacity]) => {
      const result = allocate(capacity, requests);
      const left = capacity - result.allocated;
      return result.shortfall > 0 || requests.every((r) => r.pool.kind !== 'share' || r.connectionsPerPoolUnit === 0
        || result.poolSizes.get(r.id)! === r.pool.max || r.connectionsPerPoolUnit > left);
    }), runs);
  });

  test('of two shares alike but for weight, the heavier never gets less', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 40 }),
      fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.integer({ min: 0, max: 5000 }),
      (unit, min, extra, w1, w2, capacity) => {
        const [heavy, light] = w1 >= w2 ? [w1, w2] : [w2, w1];
        const result = allocate(capacity, [share('heavy', unit, heavy, min, min + extra), share('light', unit, light, min, min + extra)]);
        return result.poolSizes.get('heavy')! >= result.poolSizes.get('light')!;
      }), runs);
  });
});
