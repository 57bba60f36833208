import * as fc from 'fast-check';
import { allocate, AllocationRequest, ConsumerInput, evaluateBudget, waveDemand, WaveItem } from '../../lib/budget';
import { budget, ecsService, lambdaFunction, postgresBehindProxy } from './fixtures';

describe('waveDemand', () => {
  test('counts chained services at their most tasks plus the largest surge of each chain', () => {
    const result = waveDemand([
      { path: 'A', demand: 40, steadyDemand: 20, wave: { chain: 'c', service: 'A' } },
      { path: 'B', demand: 60, steadyDemand: 30, wave: { chain: 'c', service: 'B' } },
      { path: 'C', demand: 16, steadyDemand: 8 },
      { path: 'L', demand: 5, steadyDemand: 5 },
    ]);
    expect(result).toEqual({
      demand: 20 + 30 + 30 + 16 + 5,
      uncreditedDemand: 121,
      credit: 20,
      chains: [{ chain: 'c', services: ['A', 'B'], largest: { service: 'B', connections: 30 } }],
    });
  });

  test('adds the surges of the consumers of one service (containers, pool sets): they surge together', () => {
    const result = waveDemand([
      { path: 'A[web]', demand: 20, steadyDemand: 10, wave: { chain: 'c', service: 'A' } },
      { path: 'A[worker]', demand: 20, steadyDemand: 10, wave: { chain: 'c', service: 'A' } },
      { path: 'B', demand: 30, steadyDemand: 15, wave: { chain: 'c', service: 'B' } },
    ]);
    expect(result.chains[0].largest).toEqual({ service: 'A', connections: 20 });
    expect(result.demand).toBe(10 + 10 + 15 + 20);
  });

  test('a tie picks the first service by path, whatever the input order', () => {
    const items: WaveItem[] = [
      { path: 'Svc10', demand: 20, steadyDemand: 10, wave: { chain: 'c', service: 'Svc10' } },
      { path: 'Svc2', demand: 20, steadyDemand: 10, wave: { chain: 'c', service: 'Svc2' } },
    ];
    expect(waveDemand(items).chains[0]).toEqual({ chain: 'c', services: ['Svc2', 'Svc10'], largest: { service: 'Svc2', connections: 10 } });
    expect(waveDemand([...items].reverse())).toEqual(waveDemand(items));
  });

  test('chains surge independently of each other', () => {
    const result = waveDemand([
      { path: 'A', demand: 40, steadyDemand: 20, wave: { chain: 'one', service: 'A' } },
      { path: 'B', demand: 60, steadyDemand: 30, wave: { chain: 'two', service: 'B' } },
    ]);
    expect(result.credit).toBe(0);
  });
});

/** Random consumers: services in up to three chains or none, with surge extras, and consumers that never surge. */
const topology = fc.array(fc.record({
  steady: fc.integer({ min: 0, max: 200 }),
  surge: fc.integer({ min: 0, max: 200 }),
  chain: fc.oneof(fc.constant(undefined), fc.constantFrom('one', 'two', 'three')),
  service: fc.integer({ min: 0, max: 5 }),
}), { maxLength: 12 }).map((rows) => rows.map((row, i): WaveItem => ({
  path: `C${i}`,
  demand: row.steady + row.surge,
  steadyDemand: row.steady,
  ...(row.chain ? { wave: { chain: row.chain, service: `S${row.service}` } } : {}),
})));

/**
 * The worst demand of every schedule in which each chain has at most one service deploying (surging) while every
 * consumer outside the chains is at its peak and every service at its most tasks: the choices are enumerated.
 */
function worstSchedule(items: readonly WaveItem[]): number {
  const chains = new Map<string, Map<string, number>>();
  let always = 0;
  for (const item of items) {
    if (!item.wave) {
      always += item.demand;
      continue;
    }
    always += item.steadyDemand;
    const services = chains.get(item.wave.chain) ?? new Map<string, number>();
    services.set(item.wave.service, (services.get(item.wave.service) ?? 0) + item.demand - item.steadyDemand);
    chains.set(item.wave.chain, services);
  }
  let worst = always;
  const choose = (rest: Array<Map<string, number>>, sum: number): void => {
    if (rest.length === 0) {
      worst = Math.max(worst, sum);
      return;
    }
    // Nothing deploying in this chain, or exactly one of its services.
    choose(rest.slice(1), sum);
    for (const surge of rest[0].values()) choose(rest.slice(1), sum + surge);
  };
  choose([...chains.values()], always);
  return worst;
}

describe('waveDemand properties', () => {
  test('the credited worst case is at least every one-service-at-a-time schedule, and at most the uncredited worst case', () => {
    fc.assert(fc.property(topology, (items) => {
      const result = waveDemand(items);
      expect(result.demand).toBeGreaterThanOrEqual(worstSchedule(items));
      expect(result.demand).toBeLessThanOrEqual(result.uncreditedDemand);
      expect(result.uncreditedDemand).toBe(items.reduce((sum, i) => sum + i.demand, 0));
    }), { numRuns: 500 });
  });

  test('without chains there is no credit', () => {
    fc.assert(fc.property(topology, (items) => {
      const unchained = items.map(({ wave: _wave, ...rest }) => rest);
      expect(waveDemand(unchained).credit).toBe(0);
    }));
  });
});

const surged = (id: string, unit: number, surgeUnit: number, chain: string, service: string, pool: AllocationRequest['pool']): AllocationRequest => ({
  id, connectionsPerPoolUnit: unit, fixedConnections: 0, pool, surge: { chain, service, connectionsPerPoolUnit: surgeUnit, fixedConnections: 0 },
});

describe('allocate with chained surges', () => {
  test('only the largest surge of a chain costs: two services of 10 tasks at 200 % share 300 as 10 + 10 + 10 per pool unit', () => {
    const share = { kind: 'share' as const, weight: 1, min: 1, max: 50 };
    const chained = allocate(300, [surged('a', 10, 10, 'c', 'a', share), surged('b', 10, 10, 'c', 'b', share)]);
    expect(Object.fromEntries(chained.poolSizes)).toEqual({ a: 10, b: 10 });
    expect(chained.allocated).toBe(300);
    // The same services without the chain: each pays its surge.
    const parallel = allocate(300, [
      { id: 'a', connectionsPerPoolUnit: 20, fixedConnections: 0, pool: share },
      { id: 'b', connectionsPerPoolUnit: 20, fixedConnections: 0, pool: share },
    ]);
    expect(Object.fromEntries(parallel.poolSizes)).toEqual({ a: 8, b: 7 });
  });

  test('a share grows at its unit cost while another service of its chain has the larger surge', () => {
    // a grows first (weight 100) and leads the surge; b's steps then cost 1 each: 9 + 6 + 5 × 9 = 60.
    const result = allocate(60, [
      surged('a', 1, 5, 'c', 'a', { kind: 'share', weight: 100, min: 1, max: 9 }),
      surged('b', 1, 5, 'c', 'b', { kind: 'share', weight: 1, min: 1, max: 9 }),
    ]);
    const sizes = Object.fromEntries(result.poolSizes);
    const cost = sizes.a + sizes.b + 5 * Math.max(sizes.a, sizes.b);
    expect(result.allocated).toBe(cost);
    expect(cost).toBeLessThanOrEqual(60);
    expect(sizes).toEqual({ a: 9, b: 6 });
  });

  test('rejects a surge that is not a whole number', () => {
    expect(() => allocate(10, [surged('a', 1, 1.5, 'c', 'a', { kind: 'fixed', size: 1 })])).toThrow(/^allocate: invalid request 'a'/);
  });
});

describe('allocate properties with chained surges', () => {
  const request = (i: number): fc.Arbitrary<AllocationRequest> => fc.record({
    unit: fc.integer({ min: 0, max: 40 }),
    surgeUnit: fc.integer({ min: 0, max: 40 }),
    chain: fc.oneof(fc.constant(undefined), fc.constantFrom('one', 'two')),
    service: fc.integer({ min: 0, max: 3 }),
    pool: fc.oneof(
      fc.record({ kind: fc.constant('fixed' as const), size: fc.integer({ min: 1, max: 10 }) }),
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 5 }))
        .map(([min, extra, weight]) => ({ kind: 'share' as const, weight, min, max: min + extra })),
    ),
  }).map((r): AllocationRequest => (r.chain
    ? surged(`r${i}`, r.unit, r.surgeUnit, r.chain, `s${r.service}`, r.pool)
    : { id: `r${i}`, connectionsPerPoolUnit: r.unit + r.surgeUnit, fixedConnections: 0, pool: r.pool }));
  const requests = fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => request(i))));

  /** The cost of pool sizes: every request's always-paid connections plus each chain's largest service surge. */
  const cost = (rs: readonly AllocationRequest[], sizes: ReadonlyMap<string, number>): number => waveDemand(rs.map((r) => {
    const size = sizes.get(r.id)!;
    const steady = r.fixedConnections + r.connectionsPerPoolUnit * size;
    const surge = r.surge ? r.surge.fixedConnections + r.surge.connectionsPerPoolUnit * size : 0;
    return { path: r.id, steadyDemand: steady, demand: steady + surge, ...(r.surge ? { wave: { chain: r.surge.chain, service: r.surge.service } } : {}) };
  })).demand;

  test('never above capacity, exact about what it allocates, maximal, and independent of input order', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2000 }), requests, (capacity, rs) => {
      const result = allocate(capacity, rs);
      if (result.shortfall > 0) return;
      expect(result.allocated).toBe(cost(rs, result.poolSizes));
      expect(result.allocated).toBeLessThanOrEqual(capacity);
      for (const r of rs) {
        const size = result.poolSizes.get(r.id)!;
        if (r.pool.kind !== 'share' || size >= r.pool.max) continue;
        const grown = new Map(result.poolSizes).set(r.id, size + 1);
        expect(cost(rs, grown)).toBeGreaterThan(capacity);
      }
      expect(allocate(capacity, [...rs].reverse()).poolSizes).toEqual(result.poolSizes);
    }), { numRuns: 400 });
  });
});

describe('evaluateBudget with chained services', () => {
  const chained = (c: ConsumerInput, service = c.path): ConsumerInput => ({ ...c, wave: { chain: 'Data/Budget', service } });

  test('credits the chain, names the largest surge, and derives larger pools from the same ceiling', () => {
    const consumers = [
      ecsService('Services/Api', { maxTasks: 10, pool: { kind: 'share', weight: 1, min: 1, max: 50 } }),
      ecsService('Services/Worker', { maxTasks: 5, pool: { kind: 'share', weight: 1, min: 1, max: 50 } }),
      lambdaFunction('Jobs/Fn', { maxConcurrency: 10, pool: 1 }),
    ];
    const capacity = postgresBehindProxy(405, 100);
    const parallel = evaluateBudget(budget(capacity, consumers));
    const waves = evaluateBudget(budget(capacity, consumers.map((c) => (c.kind === 'ecs-service' ? chained(c) : c))));
    const pools = (e: typeof parallel) => Object.fromEntries(e.consumers.map((c) => [c.input.path, c.poolSize]));
    // Equal weights share connections evenly, so Api (twice the tasks) gets the smaller pool.
    expect(pools(parallel)).toEqual({ 'Jobs/Fn': 1, 'Services/Api': 9, 'Services/Worker': 20 });
    expect(pools(waves)).toEqual({ 'Jobs/Fn': 1, 'Services/Api': 13, 'Services/Worker': 25 });
    expect(waves.totals.chains).toEqual([{ chain: 'Data/Budget', services: ['Services/Api', 'Services/Worker'], largest: { service: 'Services/Api', connections: 130 } }]);
    // 10 × 13 + 5 × 25 steady, Api's 10 surge tasks × 13, and the function's 10.
    expect(waves.totals.demand).toBe(130 + 125 + 130 + 10);
    expect(waves.totals.uncreditedDemand).toBe(260 + 250 + 10);
    expect(waves.totals.ceiling).toBe(395);
    expect(waves.problems.filter((p) => p.level === 'error')).toEqual([]);
  });

  test('the over-capacity fix holds with the credit: lowering the largest service moves the largest surge to the next', () => {
    const consumers = [
      chained(ecsService('Services/Api', { maxTasks: 20, pool: 10 })),
      chained(ecsService('Services/Worker', { maxTasks: 18, pool: 10 })),
    ];
    const evaluation = evaluateBudget(budget(postgresBehindProxy(500, 100), consumers));
    const problem = evaluation.problems.find((p) => p.id === 'CB-OVER-CAPACITY')!;
    // 200 + 180 + Api's 200 surge = 580 of 490 (500 − 5 engine reserve − 5 kept by RDS Proxy).
    expect(problem.message).toContain('worst-case demand 580 exceeds the usable connections 490 by 90');
    expect(problem.message).toContain('Chained services surge one at a time (deploying in waves saves 180), every other consumer can peak at once');
    // Taking 90 off Api's own 400 would say 15 tasks or pool 7, but then Worker's 180 surge counts: 150 + 180 + 180 = 510.
    // 13 tasks: 130 + 180 + 180 = 490; pool 6: 120 + 180 + 180 = 480.
    expect(problem.fix).toContain("Lower the autoscaling maximum of 'Services/Api' from 20 to 13, lower its pool from 10 to 6");
    for (const api of [ecsService('Services/Api', { maxTasks: 13, pool: 10 }), ecsService('Services/Api', { maxTasks: 20, pool: 6 })]) {
      const fixed = evaluateBudget(budget(postgresBehindProxy(500, 100), [chained(api), consumers[1]]));
      expect(fixed.problems.map((p) => p.id)).not.toContain('CB-OVER-CAPACITY');
    }
  });

  test('refuses a chained consumer that is not an ECS service sharing the ceiling', () => {
    expect(() => evaluateBudget(budget(postgresBehindProxy(405, 100), [chained(lambdaFunction('Jobs/Fn', { maxConcurrency: 1 }))])))
      .toThrow("consumer 'Jobs/Fn' is chained for deploying in waves, but only ECS services that share the ceiling deploy in waves");
  });

  test('every schedule with one chained service surging fits the ceiling the derived pools were sized for', () => {
    const service = fc.record({ maxTasks: fc.integer({ min: 0, max: 12 }), percent: fc.constantFrom(100, 150, 200), chainedToo: fc.boolean() });
    fc.assert(fc.property(fc.array(service, { minLength: 1, maxLength: 6 }), fc.integer({ min: 100, max: 2000 }), (services, maxConnections) => {
      const consumers = services.map((s, i) => {
        const c = ecsService(`S${i}`, { maxTasks: s.maxTasks, deployment: { kind: 'rolling', maximumPercent: s.percent }, pool: { kind: 'share', weight: 1, min: 1, max: 40 } });
        return s.chainedToo ? chained(c) : c;
      });
      const evaluation = evaluateBudget(budget(postgresBehindProxy(maxConnections, 100), consumers));
      if (evaluation.problems.some((p) => p.level === 'error')) return;
      const items = evaluation.consumers.map((c) => ({ path: c.input.path, demand: c.demand, steadyDemand: c.steadyDemand, wave: c.input.wave }));
      expect(worstSchedule(items)).toBeLessThanOrEqual(evaluation.totals.ceiling!);
      expect(evaluation.totals.demand).toBeLessThanOrEqual(evaluation.totals.uncreditedDemand);
    }), { numRuns: 200 });
  });
});
