import { PoolSize } from '../../lib';
import { evaluateBudget, LedgerFormatError } from '../../lib/budget';
import { readTemplates } from '../../lib/template/read';
import { storedRecords } from '../../lib/template/records';
import { verifyLedger } from '../../lib/template/verify';
import { TemplateSet } from '../../lib/template/template-set';
import { harness } from '../constructs/harness';

/** The synthesized templates of an app with two registered services, read as the CLI reads them. */
function twoServices(): TemplateSet {
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 90 });
  h.service('Api', { desiredCount: 2 }, { pool: PoolSize.fixed(10) });
  h.service('Worker', { desiredCount: 1 }, { pool: PoolSize.fixed(5) });
  return new TemplateSet(readTemplates(h.app.synth().directory).stacks);
}

describe('records as the templates hold them', () => {
  test('each budget\'s record is assembled with its consumers\' records', () => {
    const [stored] = storedRecords(twoServices());
    expect(stored.assembled.consumers.map((c) => [c.path, c.demand])).toEqual([['Services/Api', 40], ['Services/Worker', 10]]);
    expect(stored.assembled.missing).toEqual([]);
  });

  test('a consumer\'s record on a second resource is refused, naming both places', () => {
    // GIVEN the record of 'Services/Api' copied onto the resource of 'Services/Worker' as well
    const set = twoServices();
    const services = set.stacks.find((s) => s.path === 'Services')!;
    const resources = services.template.Resources as Record<string, { Metadata?: { ConnectionBudget?: { budgets: Record<string, Record<string, unknown>> } } }>;
    const [apiId, api] = Object.entries(resources).find(([id, r]) => id.startsWith('ApiService') && r.Metadata?.ConnectionBudget)!;
    const [workerId, worker] = Object.entries(resources).find(([id, r]) => id.startsWith('WorkerService') && r.Metadata?.ConnectionBudget)!;
    worker.Metadata!.ConnectionBudget!.budgets['Data/Budget']['Services/Api'] = api.Metadata!.ConnectionBudget!.budgets['Data/Budget']['Services/Api'];
    // WHEN read THEN
    expect(() => storedRecords(set)).toThrow(new LedgerFormatError(`the consumer 'Services/Api' of budget 'Data/Budget' has two records, on '${apiId}' in `
      + `'${services.file}' and on '${workerId}' in '${services.file}'; a consumer's record is on its own resource only.`));
  });

  test('a consumer\'s record that the budget\'s record does not name is a difference, not ignored', () => {
    // GIVEN 'Services/Worker' taken out of the budget's record, as an override of its Metadata would
    const set = twoServices();
    const data = set.stacks.find((s) => s.path === 'Data')!;
    const budgetRecord = Object.values(data.template.Resources as Record<string, { Metadata?: { ConnectionBudget?: { consumers?: Record<string, unknown> } } }>)
      .find((r) => r.Metadata?.ConnectionBudget?.consumers)!;
    delete budgetRecord.Metadata!.ConnectionBudget!.consumers!['Services/Worker'];
    const workerId = Object.keys(set.stacks.find((s) => s.path === 'Services')!.template.Resources as object).find((id) => id.startsWith('WorkerService'))!;
    // WHEN read and verified
    const [stored] = storedRecords(set);
    const verified = verifyLedger(stored.assembled, set);
    // THEN the Worker is not counted, and the verification says why
    expect(stored.assembled.consumers.map((c) => c.path)).toEqual(['Services/Api']);
    expect(stored.assembled.unnamed).toEqual([{ path: 'Services/Worker', resource: { stack: 'Services', stackName: 'Services', logicalId: workerId } }]);
    expect(verified.ledger.problems.filter((p) => p.id === 'CB-LEDGER-DIFFERS').map((p) => p.message)).toContainEqual(expect.stringContaining(
      `the ledger gives the consumers of its record as without 'Services/Worker', but the templates give a record of 'Services/Worker' on logical ID '${workerId}' `
      + "in stack 'Services' (edited, or deployed before the budget's stack)"));
  });
});

test('a budget rechecked for what differs from its records counts a shared allocation as the templates resolve it', () => {
  // GIVEN an allocation granted as a share beside one service (ceiling 500 − 5; the service's 8 × 40 leave the share 175),
  const h = harness({ maxConnectionsParameter: '1000', proxyPercent: 50 });
  h.service('Api', { desiredCount: 2, maxCapacity: 4 }, { pool: PoolSize.fixed(40) });
  h.budget.addAllocation({ name: 'orders', share: { weight: 1, minConnections: 50, maxConnections: 400 } });
  const set = new TemplateSet(readTemplates(h.app.synth().directory).stacks);
  // and the service's scalable target raised to 20 in the templates, as an override would: over capacity, the share at its minimum
  const target = Object.values(set.stacks.find((s) => s.path === 'Services')!.template.Resources as Record<string, { Type: string; Properties: { MaxCapacity: number } }>)
    .find((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget')!;
  target.Properties.MaxCapacity = 20;
  // WHEN verified
  const [stored] = storedRecords(set);
  const { evaluation } = verifyLedger(stored.assembled, set);
  // THEN every problem, the over-capacity fix among them, is what the budget gives with the share resolved again (50, not the 175 synthesized)
  expect(evaluation.problems.map((p) => p.id)).toEqual(expect.arrayContaining(['CB-OVER-CAPACITY', 'CB-LEDGER-DIFFERS']));
  expect(evaluation.capacity!.reservations).toContainEqual(expect.objectContaining({ name: 'allocation:orders', connections: 50 }));
  expect(evaluation.problems).toEqual(evaluateBudget(evaluation.input).problems);
});
