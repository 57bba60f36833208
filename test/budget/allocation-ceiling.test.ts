import * as fc from 'fast-check';
import { AllocationCeiling, CapacityInput, consumerPoolSettings, evaluateBudget, formatProblem, parseAllocationRecord } from '../../lib/budget';
import { budget, ecsService, inputsOf, lambdaFunction, postgresBehindProxy } from './fixtures';

const ALLOCATION: AllocationCeiling = {
  budgetPath: 'Platform/Budget', name: 'orders', connections: 120, basis: 'given in code (attributes)', proxyIdleClientTimeoutSeconds: 900,
};

/** A team's capacity: the allocation, and the team's own reservations. */
function granted(allocation: Partial<AllocationCeiling> = {}, reservations: CapacityInput['reservations'] = []): CapacityInput {
  return { engine: 'aurora-postgresql', instances: [], reservations, allocation: { ...ALLOCATION, ...allocation } };
}

describe('a budget whose ceiling is an allocation', () => {
  test.each([
    // [connections, reservations, ceiling]
    [120, [], 120],
    [120, [{ name: 'migrations', connections: 20 }], 100],
    [0, [], 0],
  ] as const)('%i granted less %j reserved is a ceiling of %i, with no engine reserve and no proxy share', (connections, reservations, ceiling) => {
    const { capacity } = evaluateBudget(budget(granted({ connections }, [...reservations]), []));
    expect(capacity).toMatchObject({ effectiveCeiling: ceiling, engineReserve: 0, limitedBy: 'allocation' });
    expect(capacity!.proxy).toBeUndefined();
    expect(capacity!.maxConnections).toEqual({ value: connections, source: 'allocation', basis: 'given in code (attributes)' });
  });

  test('the pools get the proxy\'s idle timeout from the allocation', () => {
    const evaluation = evaluateBudget(budget(granted(), [ecsService('Team/Api', { maxTasks: 2, pool: { kind: 'share', weight: 1, min: 1, max: 50 } })]));
    expect(evaluation.consumers[0].poolSize).toBe(30);
    const inputs = inputsOf(budget(granted(), [ecsService('Team/Api', { maxTasks: 2 })])).consumers.get('Team/Api')!;
    // Half the owning proxy's 900 s: the pool retires an idle connection well before the proxy drops it.
    expect(consumerPoolSettings(evaluation.consumers[0], evaluation.capacity, inputs).idleTimeoutMs).toBe(450_000);
  });

  test('over the allocation: the message names it, and the fix asks the owners for the difference', () => {
    const evaluation = evaluateBudget(budget(granted(), [ecsService('Team/Api', { maxTasks: 10, pool: 10 })]));
    expect(evaluation.problems.map(formatProblem)).toEqual([
      "ConnectionBudget 'Data/Budget': worst-case demand 200 exceeds the allocation 120 by 80: the allocation 'orders' of 'Platform/Budget' 120 "
      + "(given in code (attributes)). Every consumer can peak at once (CloudFormation deploys services in parallel); largest: 'Team/Api' 200 = 10 tasks "
      + "(autoscaling maximum) × 200 % rolling surge = 20 tasks × 1 process × 1 pool × pool 10. Lower the autoscaling maximum of 'Team/Api' from 10 to 6, "
      + "lower its deployment surge, the maximum healthy percent (maxHealthyPercent), from 200 to 120, lower its pool from 10 to 6, or ask the owners of "
      + "'Platform/Budget' to raise the allocation 'orders' of 'Platform/Budget' from 120 to at least 200 (its connections in addAllocation), then refresh "
      + "this app's cached record. [CB-OVER-CAPACITY]",
    ]);
  });

  test('reservations above the allocation', () => {
    const evaluation = evaluateBudget(budget(granted({}, [{ name: 'admin', connections: 130 }]), []));
    expect(evaluation.problems.filter((p) => p.level === 'error').map(formatProblem)).toEqual([
      "ConnectionBudget 'Data/Budget': the reservations 130 take more than the allocation 'orders' of 'Platform/Budget', 120 (given in code (attributes)). "
      + "Lower the reservations by at least 10, or ask the owners of 'Platform/Budget' for a larger allocation. [CB-RESERVATIONS-EXCEED-CAPACITY]",
    ]);
  });

  test('a pending lookup is the only error: nothing else is judged against a stand-in', () => {
    const evaluation = evaluateBudget(budget(granted({ connections: 0, pending: true, basis: "SSM parameter '/p', not looked up yet" }), [
      ecsService('Team/Api', { maxTasks: 10, pool: 10 }),
    ]));
    expect(evaluation.problems.filter((p) => p.level === 'error').map((p) => p.id)).toEqual(['CB-ALLOCATION-NOT-LOOKED-UP']);
  });

  test('property: every shared pool fits the allocation whenever synth passes, and the ceiling never exceeds what was granted', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 300 }),
      fc.array(fc.record({ tasks: fc.integer({ min: 1, max: 40 }), min: fc.integer({ min: 1, max: 5 }), fixed: fc.option(fc.integer({ min: 1, max: 20 })) }), { maxLength: 6 }),
      fc.integer({ min: 0, max: 50 }),
      (connections, reserved, services, lambdas) => {
        const consumers = [
          ...services.map((s, i) => ecsService(`Team/S${i}`, { maxTasks: s.tasks, pool: s.fixed ?? { kind: 'share', weight: 1, min: s.min, max: 100 } })),
          ...(lambdas > 0 ? [lambdaFunction('Team/Fn', { maxConcurrency: lambdas })] : []),
        ];
        const evaluation = evaluateBudget(budget(granted({ connections }, reserved > 0 ? [{ name: 'r', connections: reserved }] : []), consumers));
        expect(evaluation.totals.ceiling).toBe(Math.max(0, connections - reserved));
        if (!evaluation.problems.some((p) => p.level === 'error')) {
          expect(evaluation.totals.demand + reserved).toBeLessThanOrEqual(connections);
        }
      },
    ));
  });
});

describe('the allocation record', () => {
  const record = {
    schemaVersion: 1, kind: 'connection-budget-allocation', budgetPath: 'P/B', allocation: 'a', connections: 5, engine: 'rds-mysql', proxyEndpoint: 'p',
    port: 3306, databaseName: null, clientSecurityGroupId: 'sg-1', secretArn: 'arn:s', databaseUser: 'cb_a_0a1b2c3d', proxyIdleClientTimeoutSeconds: 1800,
  };
  const expected = { budgetPath: 'P/B', allocation: 'a' };

  test('reads back what addAllocation writes', () => {
    expect(parseAllocationRecord(JSON.stringify(record), 'R', expected)).toEqual(record);
  });

  test('a record written before databaseUser existed reads as having none', () => {
    const { databaseUser, ...older } = record;
    expect(databaseUser).toBeDefined();
    expect(parseAllocationRecord(JSON.stringify({ ...older, secretArn: null }), 'R', expected)).toEqual({ ...record, secretArn: null, databaseUser: null });
  });

  test('a databaseUser that is not a string or null is refused', () => {
    expect(() => parseAllocationRecord(JSON.stringify({ ...record, databaseUser: 7 }), 'R', expected))
      .toThrow('R holds an allocation record that is not valid: databaseUser must be a string or null, got 7.');
  });

  test('names every field that is wrong at once', () => {
    expect(() => parseAllocationRecord(JSON.stringify({ ...record, port: 0, engine: 'oracle', proxyEndpoint: '', proxyIdleClientTimeoutSeconds: 28_801 }), 'R', expected))
      .toThrow('R holds an allocation record that is not valid: proxyEndpoint must be a non-empty string, got ""; port must be a whole number from 1 to 65535, got 0; '
        + 'proxyIdleClientTimeoutSeconds must be a whole number from 1 to 28800, got 28801; engine must be one of rds-postgresql, rds-mysql, rds-mariadb, '
        + 'aurora-postgresql, aurora-mysql, got "oracle".');
  });
});

describe('a reservation granted as a weighted share', () => {
  // max_connections 400, proxy 50 %: ceiling 200 − 5 = 195. Api: 4 tasks × 200 % = 8 instances of a derived pool.
  const input = (share: { weight: number; min: number; max: number }, reserved: { name: string; connections: number }[] = []) => budget(
    postgresBehindProxy(400, 50, { reservations: [...reserved.map((r) => ({ ...r, throughProxy: true })), { name: 'allocation:orders', connections: 0, throughProxy: true, share }] }),
    [ecsService('Web/Api', { maxTasks: 4, pool: { kind: 'share', weight: 8, min: 1, max: 100 } })],
  );

  test.each([
    // [share, resolved]. Equal weights, equal connections per weight: the Api's pool 12 (96) and the share 99 fill 195.
    [{ weight: 8, min: 1, max: 500 }, 99],
    // Capped at its max: the Api takes the rest.
    [{ weight: 8, min: 1, max: 40 }, 40],
    // Its minimum first; the Api's pool grows to 5 (40), and the share fills what one more step of the Api cannot use.
    [{ weight: 8, min: 150, max: 500 }, 155],
  ])('%j resolves to %i connections, kept like any reservation through the proxy', (share, resolved) => {
    const evaluation = evaluateBudget(input(share));
    const reservation = evaluation.capacity!.reservations.find((r) => r.name === 'allocation:orders')!;
    expect(reservation).toEqual({ name: 'allocation:orders', connections: resolved, throughProxy: true, share });
    expect(evaluation.capacity!.effectiveCeiling).toBe(195 - resolved);
    expect(evaluation.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(evaluation.totals.demand).toBeLessThanOrEqual(195 - resolved);
  });

  test('a minimum the ceiling cannot hold fails like any reservation', () => {
    const evaluation = evaluateBudget(input({ weight: 1, min: 190, max: 500 }));
    expect(evaluation.problems.map((p) => p.id)).toContain('CB-OVER-CAPACITY');
  });

  test('property: the resolved share stays within its bounds and the budget fits whenever its minimums do', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 8 }),
      (weight, min, extra, tasks) => {
        const share = { weight, min, max: min + extra };
        const evaluation = evaluateBudget(budget(
          postgresBehindProxy(400, 50, { reservations: [{ name: 'allocation:orders', connections: 0, throughProxy: true, share }] }),
          [ecsService('Web/Api', { maxTasks: tasks, pool: { kind: 'share', weight: 1, min: 1, max: 100 } })],
        ));
        const resolved = evaluation.capacity!.reservations[0].connections;
        expect(resolved).toBeGreaterThanOrEqual(min);
        expect(resolved).toBeLessThanOrEqual(share.max);
        if (min + tasks * 2 <= 195) expect(evaluation.problems.filter((p) => p.level === 'error')).toEqual([]);
      }));
  });
});
