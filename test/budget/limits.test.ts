import * as fc from 'fast-check';
import {
  BudgetInput, CapacityInput, computeCapacity, ConsumerInput, engineReserve, evaluateBudget, formatProblem, MAX_SETTABLE_MAX_CONNECTIONS,
} from '../../lib/budget';
import { budget, ecsService, lambdaFunction, postgresBehindProxy } from './fixtures';

const M = (value: number) => ({ value, source: 'parameter-group' as const, basis: "parameter group 'Data/Params'" });

describe('parameters that keep connections from ordinary roles and users', () => {
  test.each<[string, CapacityInput['engine'], Record<string, number>, number, string | undefined]>([
    ['RDS PostgreSQL defaults', 'rds-postgresql', {}, 5, undefined],
    ['superuser_reserved_connections raised', 'rds-postgresql', { superuser_reserved_connections: 10 }, 12,
      'superuser_reserved_connections 10 + rds.rds_superuser_reserved_connections 2'],
    ['every PostgreSQL 16 reserve', 'rds-postgresql', { 'superuser_reserved_connections': 4, 'rds.rds_superuser_reserved_connections': 6, 'reserved_connections': 20 }, 30,
      'superuser_reserved_connections 4 + rds.rds_superuser_reserved_connections 6 + reserved_connections 20'],
    // Lower than the engine default: the default still holds (the safe side).
    ['lowered below the default', 'rds-postgresql', { superuser_reserved_connections: 0 }, 5, undefined],
    ['Aurora PostgreSQL: rds.rds_superuser_reserved_connections counts when set', 'aurora-postgresql', { 'rds.rds_superuser_reserved_connections': 2 }, 5,
      'superuser_reserved_connections 3 + rds.rds_superuser_reserved_connections 2'],
    ['MySQL keeps none', 'rds-mysql', { superuser_reserved_connections: 50 }, 0, undefined],
  ])('%s', (_, engine, limitParameters, value, basis) => {
    expect(engineReserve(engine, [{ path: 'Data/Db', limitParameters }])).toEqual({ value, basis });
  });

  test('the largest reserve over the instances of a cluster counts', () => {
    expect(engineReserve('aurora-postgresql', [
      { path: 'Data/Writer', limitParameters: { superuser_reserved_connections: 5 } },
      { path: 'Data/Reader', limitParameters: { superuser_reserved_connections: 9 } },
    ]).value).toBe(9);
  });

  test('a raised reserve shrinks usable connections and says why', () => {
    const capacity = computeCapacity({
      engine: 'rds-postgresql', instances: [{ path: 'Data/Db', limitParameters: { superuser_reserved_connections: 10 } }], reservations: [],
    }, M(200));
    expect(capacity.usable).toBe(188);
    expect(evaluateBudget(budget({ engine: 'rds-postgresql', instances: [{ path: 'Data/Db', parameterGroupMaxConnections: 200, parameterGroupPath: 'Data/Params', limitParameters: { superuser_reserved_connections: 10 } }], reservations: [] },
      [ecsService('Web/Api', { maxTasks: 10, pool: 10 })])).problems.map(formatProblem)[0]).toBe(
      "ConnectionBudget 'Data/Budget': worst-case demand 200 exceeds the usable connections 188 by 12: max_connections 200 (parameter group 'Data/Params') − "
      + '12 engine reserve (superuser_reserved_connections 10 + rds.rds_superuser_reserved_connections 2) = 188. '
      + "Every consumer can peak at once (CloudFormation deploys services in parallel); largest: 'Web/Api' 200 = 10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks × 1 process × 1 pool × pool 10. "
      + "Lower the autoscaling maximum of 'Web/Api' from 10 to 9, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), from 200 to 180, "
      + "lower its pool from 10 to 9, or raise max_connections from 200 to at least 212 (set it in the parameter group 'Data/Params'). [CB-OVER-CAPACITY]");
  });

  test('MySQL max_user_connections caps every ordinary connection, and the fix names it', () => {
    const capacity: CapacityInput = {
      engine: 'rds-mysql',
      instances: [{ path: 'Data/Db', parameterGroupMaxConnections: 1000, parameterGroupPath: 'Data/Params', limitParameters: { max_user_connections: 300 } }],
      reservations: [{ name: 'admin', connections: 10 }],
      proxy: { path: 'Data/Proxy', maxConnectionsPercent: 100, targetsDatabase: true },
    };
    const evaluation = evaluateBudget(budget(capacity, [ecsService('Web/Api', { maxTasks: 20, pool: 10 })]));
    // min(1000 − 0, 300) − 10 reserved = 290 usable; the proxy may open 1000, so the database limits: 290 − 5.
    expect(evaluation.capacity).toMatchObject({ usable: 290, userConnectionLimit: 300, effectiveCeiling: 285, limitedBy: 'database' });
    expect(evaluation.problems.map(formatProblem)[0]).toBe(
      "ConnectionBudget 'Data/Budget': worst-case demand 400 exceeds the usable connections 285 by 115: max_user_connections 300 (of max_connections 1000 "
      + "(parameter group 'Data/Params')) − 10 reserved for 'admin' = 290, less 5 kept by RDS Proxy. Every consumer can peak at once (CloudFormation deploys services in parallel); "
      + "largest: 'Web/Api' 400 = 20 tasks (autoscaling maximum) × 200 % rolling surge = 40 tasks × 1 process × 1 pool × pool 10. "
      + "Lower the autoscaling maximum of 'Web/Api' from 20 to 14, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), from 200 to 140, lower its pool from 10 to 7, "
      + 'or raise max_user_connections from 300 in the parameter group (it caps every ordinary connection of one account). [CB-OVER-CAPACITY]');
  });

  test('max_user_connections 0 means no limit', () => {
    expect(computeCapacity({ engine: 'rds-mysql', instances: [{ path: 'Data/Db', limitParameters: { max_user_connections: 0 } }], reservations: [] }, M(500)))
      .toMatchObject({ usable: 500, userConnectionLimit: undefined });
  });
});

describe('maxConnections on the budget is a claim', () => {
  const onR6gLarge = (claim: number, parameterGroupMaxConnections?: number): CapacityInput => ({
    engine: 'rds-postgresql',
    maxConnections: claim,
    instances: [{ path: 'Data/Db', parameterGroupMaxConnections, parameterGroupPath: parameterGroupMaxConnections ? 'Data/Params' : undefined, sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } }],
    reservations: [],
  });

  test('fails when the parameter group keeps the engine default and the claim is above it', () => {
    const problems = evaluateBudget(budget(onR6gLarge(5000), [ecsService('Web/Api', { maxTasks: 2 })])).problems;
    expect(problems.map(formatProblem)).toContain("ConnectionBudget 'Data/Budget': maxConnections 5000 is more than 'Data/Db' runs with: its parameter group does not set max_connections, "
      + 'so it keeps the default, max_connections 1553 (estimated for db.r6g.large). '
      + "Set max_connections to 5000 in the parameter group that 'Data/Db' uses (the budget then reads it there), or pass maxConnections of at most 1553. [CB-MAX-CONNECTIONS-CLAIM]");
  });

  test('passes when the parameter group sets the value, or the claim is below the default', () => {
    const ids = (input: CapacityInput) => evaluateBudget(budget(input, [ecsService('Web/Api', { maxTasks: 2 })])).problems.map((p) => p.id);
    expect(ids(onR6gLarge(5000, 5000))).not.toContain('CB-MAX-CONNECTIONS-CLAIM');
    expect(ids(onR6gLarge(1500))).not.toContain('CB-MAX-CONNECTIONS-CLAIM');
  });
});

test('invalid values fail with CB-INVALID-VALUE, and max_connections is not guessed instead', () => {
  const input = budget({ engine: 'rds-postgresql', instances: [{ path: 'Data/Db' }], reservations: [] }, [ecsService('Web/Api', { maxTasks: 2 })], {
    invalid: [{ path: 'Data/Params', what: 'max_connections parameter', value: "'1e3'", allowed: 'a whole number from 1 to 262143, or a formula', fix: 'Write it as digits: 1000.' }],
  });
  expect(evaluateBudget(input).problems.filter((p) => p.level === 'error').map(formatProblem)).toEqual([
    "ConnectionBudget 'Data/Budget': the max_connections parameter of 'Data/Params' is '1e3', but it must be a whole number from 1 to 262143, or a formula. "
    + 'Write it as digits: 1000. [CB-INVALID-VALUE]',
  ]);
});

describe('evaluateBudget ends for every input', () => {
  // Any number a hostile or mistaken input can carry, up to Number.MAX_VALUE.
  const anyNumber = fc.oneof(
    fc.integer({ min: -5, max: 300_000 }),
    fc.constantFrom(0, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e15, 1e300, Number.MAX_VALUE, Infinity, NaN, 0.5, -1),
    fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true }),
  );
  const consumer = fc.record({
    kind: fc.constantFrom('service', 'lambda'), tasks: anyNumber, pool: anyNumber, processes: anyNumber, overflow: anyNumber, percent: anyNumber, share: fc.boolean(),
  });

  test('it returns an evaluation or throws its contract error, quickly', () => {
    fc.assert(fc.property(anyNumber, anyNumber, fc.array(consumer, { minLength: 0, maxLength: 4 }), (maxConnections, proxyPercent, specs) => {
      const consumers: ConsumerInput[] = specs.map((s, i) => (s.kind === 'lambda'
        ? lambdaFunction(`Fn${i}`, { maxConcurrency: s.tasks, pool: s.share ? { kind: 'share', weight: 1, min: 1, max: s.pool } : s.pool })
        : ecsService(`Svc${i}`, {
          maxTasks: s.tasks, processes: s.processes, overflowPerPool: s.overflow, deployment: { kind: 'rolling', maximumPercent: s.percent },
          pool: s.share ? { kind: 'share', weight: 1, min: 1, max: s.pool } : s.pool,
        })));
      const input: BudgetInput = budget(postgresBehindProxy(maxConnections, proxyPercent), consumers);
      const started = process.hrtime.bigint();
      try {
        const evaluation = evaluateBudget(input);
        expect(evaluation.consumers).toHaveLength(consumers.length);
      } catch (e) {
        expect((e as Error).message).toMatch(/^evaluateBudget: invalid input for budget 'Data\/Budget': /);
      }
      // Generous: the bound is on the work done, not the machine (the largest allocation walks at most 262,143 steps).
      expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(20);
    }), { numRuns: 300, seed: 20261128 });
  });

  test('the largest valid demand still gets fixes that end', () => {
    const largest = MAX_SETTABLE_MAX_CONNECTIONS['rds-postgresql'];
    const problems = evaluateBudget(budget(postgresBehindProxy(largest, 100), [
      ecsService('Web/Api', { maxTasks: 1_000_000, pool: 262_143, processes: 1_000_000 }),
    ])).problems.map(formatProblem);
    expect(problems[0]).toMatch(/even the largest max_connections RDS for PostgreSQL accepts \(262143\) does not hold it\. \[CB-OVER-CAPACITY\]$/);
  });
});
