import { PoolSize } from '../../lib';
import { LedgerFormatError } from '../../lib/budget';
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
