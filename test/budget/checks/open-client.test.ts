import { describeRange, evaluateBudget, formatProblem, isOpenRange, OpenClient } from '../../../lib/budget';
import { budget, ecsService, postgresBehindProxy } from '../fixtures';

const FIX = (name: string) => `Name the clients of reservation '${name}' by their security groups, or by the narrowest range they connect from (a VPC's or an office's CIDR).`;

describe('CB-OPEN-CLIENT', () => {
  test.each([
    ['an IPv4 range of every address', [{ reservation: 'bi', range: '0.0.0.0/0', targetPath: 'Data/Proxy' }], [
      "ConnectionBudget 'Data/Budget': reservation 'bi' lists 0.0.0.0/0 (every IPv4 address) among its clients, so the budget lets any address reach 'Data/Proxy'. "
      + `${FIX('bi')} [CB-OPEN-CLIENT]`,
    ]],
    ['an IPv6 range of every address, on a direct reservation', [{ reservation: 'admin', range: '::/0', targetPath: 'Data/Db' }], [
      "ConnectionBudget 'Data/Budget': reservation 'admin' lists ::/0 (every IPv6 address) among its clients, so the budget lets any address reach 'Data/Db'. "
      + `${FIX('admin')} [CB-OPEN-CLIENT]`,
    ]],
    ['none', [], []],
  ])('%s', (_name, openClients: OpenClient[], messages) => {
    const evaluation = evaluateBudget(budget(postgresBehindProxy(1000, 90), [ecsService('Services/Api', { maxTasks: 2 })], { openClients }));
    expect(evaluation.problems.filter((p) => p.id === 'CB-OPEN-CLIENT').map(formatProblem)).toEqual(messages);
    expect(evaluation.problems.filter((p) => p.id === 'CB-OPEN-CLIENT').map((p) => [p.level, p.subject])).toEqual(messages.map(() => ['error', 'Data/Budget']));
  });

  test.each([
    ['0.0.0.0/0', true, '0.0.0.0/0 (every IPv4 address)'],
    ['::/0', true, '::/0 (every IPv6 address)'],
    ['10.0.0.0/0', true, '10.0.0.0/0 (every IPv4 address)'],
    ['10.0.0.0/8', false, '10.0.0.0/8'],
    ['10.0.0.0/20', false, '10.0.0.0/20'],
    ['2001:db8::/32', false, '2001:db8::/32'],
  ])('%s is every address: %s', (range, open, described) => {
    expect([isOpenRange(range), describeRange(range)]).toEqual([open, described]);
  });
});
