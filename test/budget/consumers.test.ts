import * as fc from 'fast-check';
import { deriveMaxConnectionsPercent, describeDemand, evaluateBudget, formatProblem, proxyCeiling } from '../../lib/budget';
import { budget, ecsService, ecsTask, lambdaFunction, postgresBehindProxy } from './fixtures';

const problemsOf = (input: Parameters<typeof evaluateBudget>[0], id: string) =>
  evaluateBudget(input).problems.filter((p) => p.id === id).map(formatProblem);

describe('worst case per consumer kind', () => {
  test.each([
    ['a Lambda function: reserved concurrency × pools × pool', lambdaFunction('Fn', { maxConcurrency: 50, pool: 2 }), 50, 2, 100,
      "'Fn' 100 = 50 execution environments (reserved concurrency) × 1 pool × pool 2"],
    ['a Lambda function with two pools per environment', lambdaFunction('Fn', { maxConcurrency: 7, pool: 3, poolsPerProcess: 2 }), 7, 6, 42,
      "'Fn' 42 = 7 execution environments (reserved concurrency) × 2 pools × pool 3"],
    ['a scheduled task: runs × tasks per run × processes × pool', ecsTask('Jobs/Sync', { runs: 2, tasksPerRun: 3, pool: 5, processes: 2 }), 6, 10, 60,
      "'Jobs/Sync' 60 = 2 concurrent runs × 3 tasks (EventBridge target task count) = 6 tasks × 2 processes × 1 pool × pool 5"],
    ['a scheduled task that cannot overlap', ecsTask('Jobs/Nightly', { runs: 1, tasksPerRun: 1, pool: 4 }), 1, 4, 4,
      "'Jobs/Nightly' 4 = 1 concurrent run × 1 task (EventBridge target task count) = 1 task × 1 process × 1 pool × pool 4"],
  ])('%s', (_name, consumer, peak, perInstance, demand, described) => {
    const result = evaluateBudget(budget(postgresBehindProxy(5000, 100), [consumer])).consumers[0];
    expect(result.instances?.peak).toBe(peak);
    // Neither Lambda nor a job has a deployment surge: steady state is the worst case.
    expect(result.instances?.steady).toBe(peak);
    expect(result.connectionsPerInstance).toBe(perInstance);
    expect(result.demand).toBe(demand);
    expect(describeDemand(result)).toBe(described);
  });

  test('every kind adds to one total against one ceiling', () => {
    const evaluation = evaluateBudget(budget(postgresBehindProxy(1000, 90), [
      ecsService('Web', { maxTasks: 10, pool: 10 }),
      lambdaFunction('Fn', { maxConcurrency: 50, pool: 2 }),
      ecsTask('Jobs/Sync', { runs: 2, tasksPerRun: 3, pool: 5, processes: 2 }),
    ]));
    expect(evaluation.totals).toMatchObject({ demand: 200 + 100 + 60, directDemand: 0, ceiling: 895, headroom: 895 - 360 });
  });
});

describe('direct clients and reservations', () => {
  const report = ecsTask('Jobs/Report', { runs: 1, tasksPerRun: 2, pool: 10, route: 'direct' });

  test('a direct consumer takes its worst case out of max_connections before the proxy share', () => {
    // M 1000 at 100 %: usable = 1000 − 5 − 20 = 975 < P 1000, so the database limits: 975 − 5.
    const evaluation = evaluateBudget(budget(postgresBehindProxy(1000, 100), [report, ecsService('Web', { maxTasks: 10, pool: 10 })]));
    expect(evaluation.capacity).toMatchObject({ directDemand: 20, usable: 975, effectiveCeiling: 970, limitedBy: 'database' });
    expect(evaluation.totals).toMatchObject({ demand: 200, directDemand: 20, headroom: 770 });
    expect(evaluation.consumers.map((c) => [c.input.path, c.direct])).toEqual([['Jobs/Report', true], ['Web', false]]);
    expect(evaluation.problems.map((p) => p.id)).toEqual(['CB-PROXY-ABOVE-USABLE']);
  });

  test('without a proxy a direct consumer simply shares the usable connections', () => {
    const evaluation = evaluateBudget(budget({ ...postgresBehindProxy(1000, 100), proxy: undefined }, [report]));
    expect(evaluation.consumers[0].direct).toBe(false);
    expect(evaluation.totals).toMatchObject({ demand: 20, directDemand: 0, ceiling: 995 });
  });

  test('direct consumers over max_connections fail with the direct demand named', () => {
    const big = ecsTask('Jobs/Report', { runs: 10, tasksPerRun: 10, pool: 10, route: 'direct' });
    expect(problemsOf(budget(postgresBehindProxy(1000, 90), [big]), 'CB-RESERVATIONS-EXCEED-CAPACITY')).toEqual([
      "ConnectionBudget 'Data/Budget': the engine reserve 5, reservations 0 and direct clients 1000 add up to 1005, "
      + "more than max_connections 1000 (parameter group 'Data/Params'). "
      + "Lower the reservations or the direct clients' demand by at least 5, or raise max_connections. [CB-RESERVATIONS-EXCEED-CAPACITY]",
    ]);
  });

  test('a reservation through the proxy takes from the proxy ceiling too', () => {
    const capacity = postgresBehindProxy(1000, 90, {
      reservations: [{ name: 'other-team', connections: 100, throughProxy: true }, { name: 'admin', connections: 10 }],
    });
    const evaluation = evaluateBudget(budget(capacity, [ecsService('Web', { maxTasks: 50, pool: 10 })]));
    // P 900 − 100 through the proxy = 800 ≤ usable 885; less 5 kept by the proxy.
    expect(evaluation.capacity).toMatchObject({ usable: 885, reservedThroughProxy: 100, effectiveCeiling: 795, limitedBy: 'proxy' });
    expect(problemsOf(budget(capacity, [ecsService('Web', { maxTasks: 50, pool: 10 })]), 'CB-OVER-CAPACITY')[0]).toContain(
      "exceeds the proxy ceiling 795 by 205: max_connections 1000 (parameter group 'Data/Params') × 90 % = 900, "
      + "less 100 reserved through the proxy for 'other-team', less 5 kept by RDS Proxy.");
  });
});

describe('a MaxConnectionsPercent derived by the budget', () => {
  test('gives the proxy every connection the database has for it and keeps the rest free', () => {
    const capacity = postgresBehindProxy(1000, 90, {
      proxy: { path: 'Data/Proxy', targetsDatabase: true },
      reservations: [{ name: 'admin', connections: 10 }, { name: 'other-team', connections: 100, throughProxy: true }],
    });
    const evaluation = evaluateBudget(budget(capacity, [ecsTask('Jobs/Report', { runs: 1, tasksPerRun: 2, pool: 10, route: 'direct' })]));
    // usable = 1000 − 5 − 110 − 20 = 865; the proxy may have 865 + 100 = 965: floor(96.5) = 96 %.
    expect(evaluation.capacity?.proxy).toMatchObject({ maxConnectionsPercent: 96, derived: true, ceiling: 960 });
    expect(evaluation.capacity?.effectiveCeiling).toBe(960 - 100 - 5);
    expect(evaluation.problems.map((p) => p.id)).not.toContain('CB-PROXY-ABOVE-USABLE');
  });

  test('never lets the proxy take reserved slots, and wastes less than 1 % of max_connections', () => {
    fc.assert(fc.property(
      fc.integer({ min: 20, max: 16_000 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }),
      (m, direct, throughProxy) => {
        const usable = m - 5 - direct - throughProxy;
        fc.pre(usable + throughProxy >= m / 100);
        const percent = deriveMaxConnectionsPercent(m, usable, throughProxy);
        const ceiling = proxyCeiling(m, percent);
        return percent >= 1 && percent <= 100 && ceiling <= usable + throughProxy && usable + throughProxy - ceiling < m / 100 + 1;
      }), { numRuns: 3000 });
  });

  test('the max_connections fix accounts for the percent following max_connections', () => {
    const capacity = postgresBehindProxy(1000, 90, { proxy: { path: 'Data/Proxy', targetsDatabase: true } });
    const [message] = problemsOf(budget(capacity, [ecsService('Web', { maxTasks: 50, pool: 10 })]), 'CB-OVER-CAPACITY');
    // 1000 needed: usable = M − 5, percent = floor(100 (M − 5) / M) → M = 1011 gives 99 % = 1000, less 5 = 995; M = 1016 gives 1005 − 5.
    expect(message).toContain('max_connections 1000 (parameter group \'Data/Params\') × 99 % (derived by the budget) = 990');
    expect(message).not.toContain('raise the MaxConnectionsPercent');
    expect(message).toContain('raise max_connections from 1000 to at least 1016');
  });
});

describe('CB-UNBOUNDED-LAMBDA', () => {
  test('names the function and the reserved concurrency that fits', () => {
    expect(problemsOf(budget(postgresBehindProxy(1000, 90), [ecsService('Web', { maxTasks: 10, pool: 10 }), lambdaFunction('Fn', { pool: 2 })]), 'CB-UNBOUNDED-LAMBDA'))
      .toEqual([
        "ConnectionBudget 'Data/Budget': the Lambda function 'Fn' has no reserved concurrency, so its execution environments, "
        + 'each holding up to 2 connections, are unbounded. '
        + "Set reservedConcurrentExecutions on 'Fn': at most 347 fits in the 695 connections the other consumers leave of the proxy ceiling 895 "
        + '(2 per execution environment). [CB-UNBOUNDED-LAMBDA]',
      ]);
  });

  test('says when there is no room at all', () => {
    expect(problemsOf(budget(postgresBehindProxy(1000, 90), [ecsService('Web', { maxTasks: 50, pool: 9 }), lambdaFunction('Fn', { pool: 2 })]), 'CB-UNBOUNDED-LAMBDA'))
      .toEqual([
        "ConnectionBudget 'Data/Budget': the Lambda function 'Fn' has no reserved concurrency, so its execution environments, "
        + 'each holding up to 2 connections, are unbounded. '
        + "Set reservedConcurrentExecutions on 'Fn', and make room for it: the other consumers leave no connections for it. [CB-UNBOUNDED-LAMBDA]",
      ]);
  });

  test('an over-capacity Lambda is told its reserved concurrency', () => {
    const [message] = problemsOf(budget(postgresBehindProxy(1000, 90), [lambdaFunction('Fn', { maxConcurrency: 500, pool: 2 })]), 'CB-OVER-CAPACITY');
    expect(message).toContain("'Fn' 1000 = 500 execution environments (reserved concurrency) × 1 pool × pool 2.");
    expect(message).toContain("Lower the reserved concurrency of 'Fn' from 500 to 447, lower its pool from 2 to 1");
    expect(message).toContain('raise max_connections from 1000 to at least 1117');
  });

  test('a job over capacity is told its concurrent runs', () => {
    const [message] = problemsOf(budget(postgresBehindProxy(1000, 90), [ecsTask('Jobs/Sync', { runs: 4, tasksPerRun: 25, pool: 10 })]), 'CB-OVER-CAPACITY');
    expect(message).toContain("Lower the maximum concurrent runs of 'Jobs/Sync' from 4 to 3, lower its pool from 10 to 8");
  });
});

test('CB-UNBUDGETED-INGRESS names the rule, the source, the target and the fix', () => {
  const input = budget(postgresBehindProxy(1000, 90), [], {
    unbudgetedIngress: [{ rulePath: 'Ops/Bastion/to-proxy', targetPath: 'Data/Proxy', source: "security group 'Ops/Bastion/SecurityGroup'", ports: 'port 5432' }],
  });
  expect(problemsOf(input, 'CB-UNBUDGETED-INGRESS')).toEqual([
    "ConnectionBudget 'Data/Budget': the security group rule 'Ops/Bastion/to-proxy' lets security group 'Ops/Bastion/SecurityGroup' connect to 'Data/Proxy' "
    + 'on port 5432, but that source is neither a consumer nor a reservation of the budget, so its connections are not counted. '
    + 'Register the client with the budget (addEcsService, addEcsTask, addLambdaFunction), list it in the clients of a reservation, or remove the rule. [CB-UNBUDGETED-INGRESS]',
  ]);
});
