import * as fc from 'fast-check';
import {
  BudgetInput, CapacityInput, CHECKS, EcsServiceShape, evaluateBudget, formatProblem, instanceCounts, Problem, recheckBudget, runChecks,
} from '../../lib/budget';
import { budget, ecsService, postgresBehindProxy } from './fixtures';

describe('worst-case demand', () => {
  test.each([
    // [description, consumer, peak tasks, per-task connections, demand]
    ['CDK default rolling surge doubles the fleet', ecsService('A', { maxTasks: 10 }), 20, 10, 200],
    ['maxHealthyPercent 150 rounds down', ecsService('A', { maxTasks: 5, deployment: { kind: 'rolling', maximumPercent: 150 } }), 7, 10, 70],
    ['maxHealthyPercent 100 adds nothing', ecsService('A', { maxTasks: 5, deployment: { kind: 'rolling', maximumPercent: 100 } }), 5, 10, 50],
    ['blue/green runs two fleets', ecsService('A', { maxTasks: 6, deployment: { kind: 'parallel-fleet', reason: 'a CODE_DEPLOY blue/green deployment' } }), 12, 10, 120],
    ['processes × pools × (pool + overflow)', ecsService('A', { maxTasks: 2, processes: 4, poolsPerProcess: 2, pool: 5, overflowPerPool: 3 }), 4, 64, 256],
    ['a service scaled to zero holds nothing', ecsService('A', { maxTasks: 0 }), 0, 10, 0],
  ])('%s', (_name, consumer, peak, perTask, demand) => {
    const result = evaluateBudget(budget(postgresBehindProxy(5000, 100), [consumer])).consumers[0];
    expect(result.instances?.peak).toBe(peak);
    expect(result.connectionsPerInstance).toBe(perTask);
    expect(result.demand).toBe(demand);
    expect(result.steadyDemand).toBe((consumer.shape as EcsServiceShape).maxTasks * perTask);
  });

  test('explains the peak with its multipliers', () => {
    expect(instanceCounts({ kind: 'ecs-service', maxTasks: 10, maxTasksBasis: 'autoscaling maximum', deployment: { kind: 'rolling', maximumPercent: 200 } }).explanation)
      .toBe('10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks');
  });
});

describe('evaluateBudget', () => {
  const consumers = [
    ecsService('Services/Web', { maxTasks: 4, pool: 10 }),
    ecsService('Services/Api', { maxTasks: 3, pool: { kind: 'share', weight: 2, min: 2, max: 40 } }),
    ecsService('Services/Worker', { maxTasks: 2, pool: { kind: 'share', weight: 1, min: 2, max: 40 } }),
  ];

  test('derives shares from what fixed pools leave and sums the totals', () => {
    const evaluation = evaluateBudget(budget(postgresBehindProxy(400, 50), consumers));
    // ceiling floor(400 × 50 %) − 5 = 195; Web takes 8 × 10 = 80; the shares split 115 at 2:1 per weight.
    expect(evaluation.totals.ceiling).toBe(195);
    expect(evaluation.consumers.map((c) => [c.input.path, c.poolSize, c.demand])).toEqual([
      ['Services/Api', 13, 78],
      ['Services/Web', 10, 80],
      ['Services/Worker', 9, 36],
    ]);
    expect(evaluation.totals).toEqual({ demand: 194, uncreditedDemand: 194, chains: [], directDemand: 0, steadyDemand: 97, required: 80 + 12 + 8, ceiling: 195, headroom: 1, utilizationPercent: (100 * 194) / 195 });
    expect(evaluation.problems.map((p) => p.id)).toEqual([]);
  });

  test('gives the same result whatever order consumers were registered in', () => {
    const a = evaluateBudget(budget(postgresBehindProxy(400, 50), consumers));
    const b = evaluateBudget(budget(postgresBehindProxy(400, 50), [...consumers].reverse()));
    expect(JSON.stringify({ ...b, input: undefined })).toBe(JSON.stringify({ ...a, input: undefined }));
  });

  test('fails on a consumer registered twice', () => {
    expect(() => evaluateBudget(budget(postgresBehindProxy(400, 50), [consumers[0], consumers[0]])))
      .toThrow("evaluateBudget: invalid input for budget 'Data/Budget': consumer 'Services/Web' is registered twice");
  });

  test('fails on an invalid connection shape or proxy percent', () => {
    expect(() => evaluateBudget(budget(postgresBehindProxy(400, 50), [ecsService('A', { maxTasks: 1, processes: 0 })])))
      .toThrow("evaluateBudget: invalid input for budget 'Data/Budget': processes of 'A' must be a whole number from 1 to 1000000, got 0");
    expect(() => evaluateBudget(budget(postgresBehindProxy(400, 0), [])))
      .toThrow("evaluateBudget: invalid input for budget 'Data/Budget': MaxConnectionsPercent must be a whole number from 1 to 100, got 0");
  });
});

describe('checks', () => {
  test('the registry holds exactly these checks, in this order and at these levels', () => {
    expect(CHECKS.map((c) => `${c.id}:${c.level}`)).toEqual([
      'CB-ALLOCATION-NOT-LOOKED-UP:error',
      'CB-TEMPLATES-MISSING:error',
      'CB-UNRESOLVED-VALUE:error',
      'CB-INVALID-VALUE:error',
      'CB-MAX-CONNECTIONS-CLAIM:error',
      'CB-UNBOUNDED-LAMBDA:error',
      'CB-UNBUDGETED-INGRESS:error',
      'CB-UNBUDGETED-CLIENT:error',
      'CB-OPEN-CLIENT:error',
      'CB-WRONG-ROUTE:error',
      'CB-UNATTRIBUTED-SCALABLE-TARGET:error',
      'CB-VARIABLE-OVERWRITTEN:error',
      'CB-LEDGER-DIFFERS:error',
      'CB-UNKNOWN-MAX-CONNECTIONS:error',
      'CB-PROXY-TARGET-MISMATCH:error',
      'CB-RESERVATIONS-EXCEED-CAPACITY:error',
      'CB-OVER-CAPACITY:error',
      'CB-NEAR-CAPACITY:warning',
      'CB-SHARES-CAPPED:warning',
      'CB-ESTIMATED-MAX-CONNECTIONS:warning',
      'CB-PROXY-ABOVE-USABLE:warning',
      'CB-TLS-NOT-REQUIRED:warning',
      'CB-NO-CONSUMERS:warning',
    ]);
    for (const check of CHECKS) {
      expect(check.summary).toMatch(/\.$/);
      expect(check.explanation.length).toBeGreaterThan(40);
    }
  });

  const ids = (input: Parameters<typeof evaluateBudget>[0]) => evaluateBudget(input).problems.map((p) => p.id);
  const only = (input: Parameters<typeof evaluateBudget>[0], id: string) => {
    const problems = evaluateBudget(input).problems.filter((p) => p.id === id);
    expect(problems).toHaveLength(1);
    return formatProblem(problems[0]);
  };

  describe('CB-OVER-CAPACITY', () => {
    // The design doc's example: three services deploying at once through a proxy at 90 %.
    const overloaded = budget(postgresBehindProxy(450, 90), [
      ecsService('Services/Api', { maxTasks: 10 }),
      ecsService('Services/Web', { maxTasks: 8 }),
      ecsService('Services/Worker', { maxTasks: 5 }),
    ]);

    test('names the numbers, the biggest consumers with their multipliers, and the fixes', () => {
      expect(only(overloaded, 'CB-OVER-CAPACITY')).toBe(
        "ConnectionBudget 'Data/Budget': worst-case demand 460 exceeds the proxy ceiling 400 by 60: "
        + "max_connections 450 (parameter group 'Data/Params') × 90 % = 405, less 5 kept by RDS Proxy. "
        + 'Every consumer can peak at once (CloudFormation deploys services in parallel); largest: '
        + "'Services/Api' 200 = 10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks × 1 process × 1 pool × pool 10; "
        + "'Services/Web' 160 = 8 tasks (autoscaling maximum) × 200 % rolling surge = 16 tasks × 1 process × 1 pool × pool 10; "
        + "'Services/Worker' 100 = 5 tasks (autoscaling maximum) × 200 % rolling surge = 10 tasks × 1 process × 1 pool × pool 10. "
        + "Lower the autoscaling maximum of 'Services/Api' from 10 to 7, lower its deployment surge, the maximum healthy percent (maxHealthyPercent), "
        + "from 200 to 140, lower its pool from 10 to 7, or raise max_connections from 450 to at least 517 (set it in the parameter group 'Data/Params'). [CB-OVER-CAPACITY]",
      );
    });

    test('each suggested fix really fits', () => {
      const fits = (input: Parameters<typeof evaluateBudget>[0]) => !ids(input).includes('CB-OVER-CAPACITY');
      const [, web, worker] = overloaded.consumers;
      expect(fits({ ...overloaded, consumers: [ecsService('Services/Api', { maxTasks: 7 }), web, worker] })).toBe(true);
      expect(fits({ ...overloaded, consumers: [ecsService('Services/Api', { maxTasks: 8 }), web, worker] })).toBe(false);
      expect(fits({ ...overloaded, consumers: [ecsService('Services/Api', { maxTasks: 10, pool: 7 }), web, worker] })).toBe(true);
      expect(fits({ ...overloaded, capacity: postgresBehindProxy(517, 90) })).toBe(true);
      expect(fits({ ...overloaded, capacity: postgresBehindProxy(516, 90) })).toBe(false);
    });

    test('suggests raising MaxConnectionsPercent when the database has room', () => {
      const message = only(budget(postgresBehindProxy(1000, 40), [ecsService('Services/Api', { maxTasks: 10, pool: 25 })]), 'CB-OVER-CAPACITY');
      // 500 needed; floor(1000 × 51 %) − 5 = 505 is the first that fits.
      expect(message).toMatch(/exceeds the proxy ceiling 395 by 105/);
      expect(message).toMatch(/raise the MaxConnectionsPercent of 'Data\/Proxy' from 40 to 51/);
    });

    test('names usable connections when the database, not the proxy, is the limit', () => {
      const message = only(budget({ engine: 'rds-mysql', instances: [], reservations: [{ name: 'migrations', connections: 20 }], maxConnections: 100 },
        [ecsService('Services/Api', { maxTasks: 5 })]), 'CB-OVER-CAPACITY');
      expect(message).toMatch(/worst-case demand 100 exceeds the usable connections 80 by 20: max_connections 100 \(set on the budget\) − 20 reserved for 'migrations' = 80\./);
    });

    test('counts derived pools at their minimum and says so', () => {
      const message = only(budget(postgresBehindProxy(100, 100), [
        ecsService('Services/Api', { maxTasks: 10, pool: { kind: 'share', weight: 1, min: 5, max: 10 } }),
      ]), 'CB-OVER-CAPACITY');
      expect(message).toMatch(/worst-case demand 100 \(every derived pool at its minimum\) exceeds the usable connections 90 by 10/);
      expect(message).toMatch(/lower its minimum pool from 5 to 4/);
    });

    test('suggests a task bound for a blue/green service that counts both fleets', () => {
      const message = only(budget(postgresBehindProxy(500, 50), [
        ecsService('Services/Api', { maxTasks: 20, deployment: { kind: 'parallel-fleet', reason: 'an ECS blue/green deployment' } }),
      ]), 'CB-OVER-CAPACITY');
      expect(message).toMatch(/20 tasks \(autoscaling maximum\) × 2 for an ECS blue\/green deployment = 40 tasks/);
      expect(message).toMatch(/from 20 to 12/); // 2 × 12 × 10 = 240 ≤ 245
    });

    describe('on the Serverless v2 max_connections a BudgetedDatabase wrote', () => {
      const written = (minCapacityAcu: number, maxCapacityAcu: number, maxConnections: number): CapacityInput => ({
        engine: 'aurora-postgresql',
        instances: [{ path: 'Data/Db/Cluster/Writer', parameterGroupMaxConnections: maxConnections, parameterGroupPath: 'Data/Db/InstanceParameters' }],
        reservations: [],
        proxy: { path: 'Data/Db/Proxy', targetsDatabase: true },
        serverlessV2Default: { path: 'Data/Db', minCapacityAcu, maxCapacityAcu },
      });
      const api = (maxTasks: number) => ecsService('Services/Api', { maxTasks, pool: 10 });

      test('the fix raises its maximum capacity to the published row that holds the demand, while the group holds that row', () => {
        // 2 ACU wrote the 1-ACU row, 189: 186 usable, 98 % derived = 185, less 5 = 180 < 200; the 4-ACU row, 823, holds it.
        expect(only(budget(written(1, 2, 189), [api(10)]), 'CB-OVER-CAPACITY')).toContain(
          " or raise its serverlessV2MaxCapacityAcu from 2 ACU to 4 ACU for the BudgetedDatabase 'Data/Db' (max_connections 189 → 823, the published row for 4 ACU). [CB-OVER-CAPACITY]");
        // A parameter group changed since holds a value of its own: maxConnections sets it.
        expect(only(budget(written(1, 2, 150), [api(10)]), 'CB-OVER-CAPACITY')).toMatch(
          / or raise max_connections from 150 to at least \d+ \(the maxConnections of the BudgetedDatabase 'Data\/Db'\)\. \[CB-OVER-CAPACITY\]$/);
      });

      test('the fix raises only the minimum when the low-minimum cap is what limits', () => {
        // Aurora PostgreSQL at 0.5-32 ACU is capped at 2000; 110 tasks × 200 % × 10 = 2200; the 32-ACU row uncapped is 5000.
        expect(only(budget(written(0.5, 32, 2000), [api(110)]), 'CB-OVER-CAPACITY')).toContain(
          ' or raise its serverlessV2MinCapacityAcu from 0.5 ACU to 1 ACU (at 0.5 ACU or less Aurora PostgreSQL caps max_connections at 2000) '
          + "for the BudgetedDatabase 'Data/Db' (max_connections 2000 → 5000, the published row for 32 ACU). [CB-OVER-CAPACITY]");
      });
    });
  });

  test('CB-NEAR-CAPACITY warns at the threshold and can be tuned', () => {
    const input = budget(postgresBehindProxy(1000, 50), [ecsService('Services/Api', { maxTasks: 11, pool: 10 })]);
    // 220 of 495 = 44 %
    expect(ids(input)).toEqual([]);
    expect(only({ ...input, warningThresholdPercent: 40 }, 'CB-NEAR-CAPACITY')).toBe(
      "ConnectionBudget 'Data/Budget': worst-case demand 220 is 44.4 % of the proxy ceiling 495 "
      + "(max_connections 1000 (parameter group 'Data/Params') × 50 % = 500, less 5 kept by RDS Proxy), "
      + 'at or above the 40 % warning threshold; headroom 275. '
      + 'Lower pools or maximum tasks, raise max_connections, or acknowledge CB-NEAR-CAPACITY on the budget if the margin is intended. [CB-NEAR-CAPACITY]',
    );
  });

  test('CB-SHARES-CAPPED says when maximums, not the ceiling, stopped the shares, and by how much', () => {
    const share = (weight: number) => ({ kind: 'share', weight, min: 1, max: 20 } as const);
    // 3:1 would give Api far more than 20; both stop at 20: 2 × 6 tasks × 20 = 240 of 495.
    const input = budget(postgresBehindProxy(1000, 50), [
      ecsService('Services/Api', { maxTasks: 3, pool: share(3) }),
      ecsService('Services/Worker', { maxTasks: 3, pool: share(1) }),
    ]);
    expect(only(input, 'CB-SHARES-CAPPED')).toBe(
      "ConnectionBudget 'Data/Budget': 2 derived pools of different weights stopped at their maximum: 'Services/Api' (weight 3) at its maximum 20 and "
      + "'Services/Worker' (weight 1) at its maximum 20; 255 of the proxy ceiling 495 stay unused (48.5 % used), and the weights no longer decide the split. "
      + 'Raise the max of their PoolSize.share to let them use it, or acknowledge CB-SHARES-CAPPED on the budget if the headroom is intended. [CB-SHARES-CAPPED]');
    // With room for them, the shares fill the ceiling and nothing is said.
    const roomy = budget(postgresBehindProxy(1000, 50), [
      ecsService('Services/Api', { maxTasks: 3, pool: { kind: 'share', weight: 3, min: 1, max: 100 } }),
      ecsService('Services/Worker', { maxTasks: 3, pool: { kind: 'share', weight: 1, min: 1, max: 100 } }),
    ]);
    expect(ids(roomy)).not.toContain('CB-SHARES-CAPPED');
    // One share at the maximum its owner chose, or equal weights at theirs, is a choice, not a silent cap.
    expect(ids(budget(postgresBehindProxy(1000, 50), [ecsService('Services/Api', { maxTasks: 3, pool: share(3) })]))).toEqual([]);
    expect(ids(budget(postgresBehindProxy(1000, 50), [
      ecsService('Services/Api', { maxTasks: 3, pool: share(1) }), ecsService('Services/Worker', { maxTasks: 3, pool: share(1) }),
    ]))).toEqual([]);
  });

  test('CB-NEAR-CAPACITY looks at what derived pools require, not what they fill', () => {
    const input = budget(postgresBehindProxy(1000, 50), [ecsService('Services/Api', { maxTasks: 10, pool: { kind: 'share', weight: 1, min: 1, max: 100 } })]);
    const evaluation = evaluateBudget(input);
    expect(evaluation.totals.demand).toBe(480);
    expect(evaluation.problems).toEqual([]);
    expect(only({ ...input, consumers: [ecsService('Services/Api', { maxTasks: 10, pool: { kind: 'share', weight: 1, min: 23, max: 100 } })] }, 'CB-NEAR-CAPACITY'))
      .toMatch(/fixed pools and the minimum of derived pools need 460, 92\.9 % of the proxy ceiling 495/);
  });

  test.each([
    ['memory-estimate', { engine: 'rds-postgresql', instances: [{ path: 'Data/Db', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } }] },
      /max_connections 1553 \(estimated for db\.r6g\.large\) is a conservative estimate from nominal memory/],
    ['aurora-class-table', { engine: 'aurora-postgresql', instances: [{ path: 'Data/Db', sizing: { kind: 'provisioned', instanceClass: 'db.r6g.large' } }] },
      /max_connections 1722 \(Aurora PostgreSQL default for db\.r6g\.large\) is the published default, which changes with the instance class/],
    ['serverless-v2-table', { engine: 'aurora-postgresql', instances: [{ path: 'Data/Db', sizing: { kind: 'serverless-v2', minCapacityAcu: 1, maxCapacityAcu: 2 } }] },
      /max_connections 189 \(Aurora PostgreSQL default for Serverless v2 1-2 ACU: the published row for a maximum of 1 ACU, the nearest below 2 ACU .*\) is the published value for the cluster's maximum capacity, which changes with that capacity\./],
  ] as const)('CB-ESTIMATED-MAX-CONNECTIONS explains a %s value and how to make it exact', (_source, capacity, pattern) => {
    const message = only(budget({ ...capacity, reservations: [] } as never, [ecsService('A', { maxTasks: 1 })]), 'CB-ESTIMATED-MAX-CONNECTIONS');
    expect(message).toMatch(pattern);
    expect(message).toMatch(/Set max_connections explicitly in the parameter group .* or pass maxConnections to the budget\./);
  });

  test('CB-UNKNOWN-MAX-CONNECTIONS names the instances it cannot size', () => {
    expect(only(budget({ engine: 'rds-postgresql', reservations: [], instances: [{ path: 'Data/Db', sizing: { kind: 'provisioned', instanceClass: 'db.q9.large' } }] }, []), 'CB-UNKNOWN-MAX-CONNECTIONS'))
      .toBe("ConnectionBudget 'Data/Budget': max_connections cannot be determined: the budget knows no RDS for PostgreSQL default for 'Data/Db' (db.q9.large). "
        + "Set max_connections explicitly in the database's parameter group, or pass maxConnections to the budget. [CB-UNKNOWN-MAX-CONNECTIONS]");
    expect(only(budget({ engine: 'rds-mysql', reservations: [], instances: [] }, []), 'CB-UNKNOWN-MAX-CONNECTIONS'))
      .toMatch(/max_connections cannot be determined: no database instance of it is defined in this app\./);
  });

  test('CB-UNRESOLVED-VALUE names the value, where it is, and the bound to give', () => {
    const consumer = { ...ecsService('Services/Api', { maxTasks: 1 }), shape: undefined, unresolved: [{ path: 'Services/Api/TaskCount/Target', what: 'MaxCapacity', fix: "Pass maxTasks to addEcsService() for 'Services/Api'." }] };
    const evaluation = evaluateBudget(budget(postgresBehindProxy(500, 50), [consumer]));
    expect(evaluation.problems.map(formatProblem)).toEqual([
      "ConnectionBudget 'Data/Budget': the MaxCapacity of 'Services/Api/TaskCount/Target' is unknown until deploy (a token), so the worst case cannot be computed. "
      + "Pass maxTasks to addEcsService() for 'Services/Api'. [CB-UNRESOLVED-VALUE]",
    ]);
    expect(evaluation.consumers[0]).toMatchObject({ demand: 0, poolSize: 10 });
  });

  test('CB-UNRESOLVED-VALUE at budget level replaces CB-UNKNOWN-MAX-CONNECTIONS', () => {
    const input = budget({ engine: 'rds-postgresql', reservations: [], instances: [{ path: 'Data/Db' }] }, [ecsService('A', { maxTasks: 1 })],
      { unresolved: [{ path: 'Data/Db', what: 'instance class', fix: 'Pass maxConnections to the budget.' }] });
    expect(ids(input)).toEqual(['CB-UNRESOLVED-VALUE']);
  });

  test('CB-PROXY-TARGET-MISMATCH', () => {
    const capacity = postgresBehindProxy(500, 50);
    expect(only(budget({ ...capacity, proxy: { ...capacity.proxy!, targetsDatabase: false } }, [ecsService('A', { maxTasks: 1 })]), 'CB-PROXY-TARGET-MISMATCH'))
      .toBe("ConnectionBudget 'Data/Budget': the proxy 'Data/Proxy' does not target the budget's database, so its ceiling says nothing about that database. "
        + 'Pass the proxy whose proxyTarget is this database (rds.ProxyTarget.fromInstance or fromCluster), or the database that proxy targets. [CB-PROXY-TARGET-MISMATCH]');
  });

  test('CB-RESERVATIONS-EXCEED-CAPACITY', () => {
    const input = budget(postgresBehindProxy(100, 50, { reservations: [{ name: 'bi', connections: 90 }, { name: 'admin', connections: 10 }] }), [ecsService('A', { maxTasks: 1 })]);
    expect(only(input, 'CB-RESERVATIONS-EXCEED-CAPACITY')).toBe(
      "ConnectionBudget 'Data/Budget': the engine reserve 5, reservations 100 and direct clients 0 add up to 105, more than max_connections 100 (parameter group 'Data/Params'). "
      + 'Lower the reservations by at least 5, or raise max_connections. [CB-RESERVATIONS-EXCEED-CAPACITY]');
  });

  test('CB-PROXY-ABOVE-USABLE suggests the percent that keeps reservations free', () => {
    const input = budget(postgresBehindProxy(1000, 100, { reservations: [{ name: 'migrations', connections: 20 }] }), [ecsService('A', { maxTasks: 1 })]);
    expect(only(input, 'CB-PROXY-ABOVE-USABLE')).toBe(
      "ConnectionBudget 'Data/Budget': the proxy 'Data/Proxy' may open 1000 connections (max_connections 1000 (parameter group 'Data/Params') × 100 %), "
      + "more than the 975 left for it after the engine reserve, direct reservations and direct clients. "
      + "Set the proxy's maxConnectionsPercent to 97 (floor(100 × 975 / 1000)), or let BudgetedDatabase derive it. [CB-PROXY-ABOVE-USABLE]");
  });

  test('CB-NO-CONSUMERS', () => {
    expect(only(budget(postgresBehindProxy(1000, 50), []), 'CB-NO-CONSUMERS')).toBe(
      "ConnectionBudget 'Data/Budget': the budget has no consumers, so nothing is checked against it. "
      + 'Register every service that connects to the database (addEcsService), or remove the budget. [CB-NO-CONSUMERS]');
  });

  test('errors come before warnings', () => {
    const input = budget({ engine: 'rds-postgresql', reservations: [], instances: [{ path: 'Data/Db', sizing: { kind: 'provisioned', instanceClass: 'db.t3.micro' } }] },
      [ecsService('A', { maxTasks: 10 })]);
    expect(evaluateBudget(input).problems.map((p) => `${p.level}:${p.id}`)).toEqual(['error:CB-OVER-CAPACITY', 'warning:CB-ESTIMATED-MAX-CONNECTIONS']);
  });
});

describe('recheckBudget', () => {
  /** What the template readers find beside the figures: an unbudgeted rule, a variable overwritten, a figure that differs. */
  const findings: Partial<BudgetInput> = {
    unbudgetedIngress: [{ rulePath: 'Other/Rule', targetPath: 'Data/Proxy', source: "security group 'Other/Group'", ports: '5432' }],
    overwrittenVariables: [{ consumer: 'S/C0', holder: "the container 'app' of 'S/Task'", name: 'DB_POOL_MAX', budget: '10', deployed: "'50'" }],
    ledgerDifferences: [{ subject: 'S/C0', what: "the worst case of 'S/C0'", ledger: '20', templates: '40' }],
  };

  test('gives what evaluateBudget gives the fuller input, over capacity with a shared reservation (whose granted connections the fix counts)', () => {
    const figures = budget(postgresBehindProxy(400, 50, { reservations: [{ name: 'bi', connections: 175, throughProxy: true, share: { weight: 1, min: 50, max: 400 } }] }),
      [ecsService('S/C0', { maxTasks: 10, pool: 10 })]);
    const full = { ...figures, ...findings };
    const evaluation = evaluateBudget(figures);
    const rechecked = recheckBudget(evaluation, full);
    expect(rechecked).toEqual(evaluateBudget(full));
    expect(rechecked.problems.map((p) => p.id)).toEqual(expect.arrayContaining(['CB-OVER-CAPACITY', 'CB-LEDGER-DIFFERS', 'CB-VARIABLE-OVERWRITTEN']));
    // The checks run on the capacity as given (the share unresolved) would suggest another max_connections.
    const fixOf = (problems: readonly Problem[]) => problems.find((p) => p.id === 'CB-OVER-CAPACITY')?.fix;
    expect(fixOf(runChecks({ ...evaluation, input: full }))).not.toEqual(fixOf(rechecked.problems));
  });

  test('gives what evaluateBudget gives, on random budgets with and without shared reservations', () => {
    const pool = fc.oneof(
      fc.integer({ min: 1, max: 40 }).map((size) => ({ kind: 'fixed' as const, size })),
      fc.record({ weight: fc.integer({ min: 1, max: 5 }), min: fc.integer({ min: 1, max: 10 }), extra: fc.integer({ min: 0, max: 50 }) })
        .map(({ weight, min, extra }) => ({ kind: 'share' as const, weight, min, max: min + extra })),
    );
    const reservation = fc.record({ connections: fc.integer({ min: 0, max: 50 }), shared: fc.boolean(), min: fc.integer({ min: 0, max: 30 }), throughProxy: fc.boolean() });
    fc.assert(fc.property(
      fc.integer({ min: 100, max: 3000 }), fc.array(fc.record({ maxTasks: fc.integer({ min: 0, max: 20 }), pool }), { maxLength: 6 }), fc.array(reservation, { maxLength: 3 }),
      (maxConnections, consumers, reservations) => {
        const figures = budget(postgresBehindProxy(maxConnections, 90, {
          reservations: reservations.map((r, i) => ({ name: `r${i}`, connections: r.connections, throughProxy: r.throughProxy, ...(r.shared ? { share: { weight: 1, min: r.min, max: r.min + 20 } } : {}) })),
        }), consumers.map((c, i) => ecsService(`S/C${i}`, c)));
        const full = { ...figures, ...findings };
        expect(recheckBudget(evaluateBudget(figures), full)).toEqual(evaluateBudget(full));
      },
    ), { numRuns: 300 });
  });

  test.each([
    ['other consumers', { consumers: [ecsService('S/C0', { maxTasks: 2 })] }],
    ['another capacity', { capacity: postgresBehindProxy(4000, 50) }],
    ['another reservation', { capacity: { ...postgresBehindProxy(400, 50), reservations: [{ name: 'bi', connections: 5 }] } }],
  ])('refuses an input of %s', (_, other) => {
    const figures = budget(postgresBehindProxy(400, 50), [ecsService('S/C0', { maxTasks: 1 })]);
    const evaluation = evaluateBudget(figures);
    expect(() => recheckBudget(evaluation, { ...figures, ...other }))
      .toThrow("recheckBudget: the input of 'Data/Budget' is not the one 'Data/Budget' was evaluated with (path, consumers or capacity differ)");
  });

  test('validates what evaluateBudget validates', () => {
    const figures = budget(postgresBehindProxy(400, 50), [ecsService('S/C0', { maxTasks: 1 })]);
    expect(() => recheckBudget(evaluateBudget(figures), { ...figures, warningThresholdPercent: 0 }))
      .toThrow("evaluateBudget: invalid input for budget 'Data/Budget': warningThresholdPercent must be above 0 and at most 100, got 0");
  });
});
