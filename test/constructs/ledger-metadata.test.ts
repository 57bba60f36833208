import { Annotations, App, Stack } from 'aws-cdk-lib';
import { PoolSize } from '../../lib';
import { consumerLine, parseLedger, summaryLine } from '../../lib/budget';
import { environmentOf, harness } from './harness';

/** Two services in stack 'Services', a budget in stack 'Data': max_connections 500 behind a proxy at 80 %, ceiling 395. */
function app(options: { apiMaxCapacity?: number; acknowledge?: boolean } = {}) {
  const h = harness({ maxConnectionsParameter: '500', proxyPercent: 80 });
  h.service('Api', { maxCapacity: options.apiMaxCapacity ?? 10 }, { pool: PoolSize.fixed(10) });
  h.service('Worker', { desiredCount: 2 });
  if (options.acknowledge) {
    Annotations.of(h.budget).acknowledgeWarning('CB-NEAR-CAPACITY', 'Sized on purpose.');
  }
  return h;
}

function metadataOf(assembly: ReturnType<App['synth']>, stack: Stack): Record<string, unknown> {
  return assembly.getStackArtifact(stack.artifactId).template.Metadata;
}

describe('the ledger in template Metadata', () => {
  // GIVEN one app, synthesized once for the whole block
  const h = app();
  const assembly = h.app.synth();
  const data = metadataOf(assembly, h.data);
  const services = metadataOf(assembly, h.services);
  const ledger = parseLedger(data['ConnectionBudgetLedger:Data/Budget'], 'the Data template');

  test('the budget\'s stack holds its summary and the full ledger, which matches the evaluation', () => {
    expect(Object.keys(data)).toEqual(['ConnectionBudget:Data/Budget', 'ConnectionBudgetLedger:Data/Budget']);
    const evaluation = h.budget._evaluation();
    expect(ledger.totals.demand).toBe(evaluation.totals.demand);
    expect(ledger.capacity?.maxConnections).toEqual({ value: 500, source: 'parameter-group', basis: 'parameter group \'Data/Params\'' });
    expect(ledger.capacity?.ceiling).toBe(395);
    expect(ledger.consumers.map((c) => [c.path, c.pool.size, c.demand])).toEqual(evaluation.consumers.map((c) => [c.input.path, c.poolSize, c.demand]));
    expect(data['ConnectionBudget:Data/Budget']).toBe(summaryLine(ledger));
  });

  test('each consumer\'s stack holds the budget summary and one line per consumer, beside its environment variables', () => {
    expect(Object.keys(services).sort()).toEqual([
      'ConnectionBudget:Data/Budget',
      'ConnectionBudget:Data/Budget:Services/Api',
      'ConnectionBudget:Data/Budget:Services/Worker',
    ]);
    expect(services['ConnectionBudget:Data/Budget:Services/Api']).toBe(consumerLine(ledger.consumers.find((c) => c.path === 'Services/Api')!));
    expect(services['ConnectionBudget:Data/Budget:Services/Api']).toBe('200 = 20 tasks × 1 process × 1 pool × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks); steady 100');
    expect(services['ConnectionBudget:Data/Budget']).toBe(data['ConnectionBudget:Data/Budget']);
  });

  test('records the delivered variables as the task definition has them', () => {
    const api = ledger.consumers.find((c) => c.path === 'Services/Api')!;
    const environment = environmentOf(assembly.getStackArtifact(h.services.artifactId).template, 'ApiTask');
    // Beside the pool settings, the route: the proxy's endpoint, its port and the database.
    expect(environment).toEqual({ ...api.poolSettings.variables, DB_HOST: { 'Fn::ImportValue': expect.stringMatching(/DbProxy.*Endpoint/) }, DB_PORT: '5432', DB_NAME: 'postgres' });
  });
});

describe('determinism', () => {
  test('two synths of the same app write byte-identical templates', () => {
    const first = app();
    const second = app();
    const text = (h: ReturnType<typeof app>) => {
      const assembly = h.app.synth();
      return [h.data, h.services].map((s) => JSON.stringify(assembly.getStackArtifact(s.artifactId).template));
    };
    expect(text(second)).toEqual(text(first));
  });

  test('an acknowledged warning is marked so in the ledger and left out of the summary', () => {
    const tight = (acknowledge: boolean) => {
      const h = app({ apiMaxCapacity: 18, acknowledge });
      const ledger = parseLedger(metadataOf(h.app.synth(), h.data)['ConnectionBudgetLedger:Data/Budget'], 'Data');
      return { ledger, summary: summaryLine(ledger) };
    };
    const open = tight(false);
    expect(open.ledger.problems.map((p) => [p.id, p.acknowledged])).toEqual([['CB-NEAR-CAPACITY', false]]);
    expect(open.summary).toMatch(/; 1 warning: CB-NEAR-CAPACITY$/);
    const acknowledged = tight(true);
    expect(acknowledged.ledger.problems.map((p) => [p.id, p.acknowledged])).toEqual([['CB-NEAR-CAPACITY', true]]);
    expect(acknowledged.summary).not.toContain('CB-NEAR-CAPACITY');
  });
});
