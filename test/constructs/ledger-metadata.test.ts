import { Annotations, App, Stack } from 'aws-cdk-lib';
import { PoolSize } from '../../lib';
 
import { consumerLine, parseConsumerRecords, RECORD_SCHEMA, recordDigest, summaryLine } from '../../lib/budget';
import { ledgerOf } from '../helpers/ledgers';
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

describe('the budget in the templates: short lines for review, records to rebuild it from', () => {
  // GIVEN one app, synthesized once for the whole block
  const h = app();
  const assembly = h.app.synth();
  const data = metadataOf(assembly, h.data);
  const services = metadataOf(assembly, h.services);
  const ledger = ledgerOf(assembly, 'Data/Budget');
  const resources = (stack: Stack) => assembly.getStackArtifact(stack.artifactId).template.Resources as Record<string, { Type: string; Metadata?: Record<string, any> }>;

  test('the ledger rebuilt from the templates matches the evaluation', () => {
    const evaluation = h.budget._evaluation();
    expect(ledger.totals.demand).toBe(evaluation.totals.demand);
    expect(ledger.capacity?.maxConnections).toEqual({ value: 500, source: 'parameter-group', basis: 'parameter group \'Data/Params\'' });
    expect(ledger.capacity?.ceiling).toBe(395);
    expect(ledger.consumers.map((c) => [c.path, c.pool.size, c.demand])).toEqual(evaluation.consumers.map((c) => [c.input.path, c.poolSize, c.demand]));
  });

  test('the budget\'s stack holds its summary and one line per consumer, wherever the consumer is, and no whole ledger', () => {
    expect(Object.keys(data)).toEqual(['ConnectionBudget:Data/Budget', 'ConnectionBudget:Data/Budget:Services/Api', 'ConnectionBudget:Data/Budget:Services/Worker']);
    expect(data['ConnectionBudget:Data/Budget']).toBe(summaryLine(ledger));
    expect(data['ConnectionBudget:Data/Budget:Services/Api']).toBe(consumerLine(ledger.consumers.find((c) => c.path === 'Services/Api')!));
  });

  test('each consumer\'s stack holds the budget summary and one line per consumer, beside its environment variables', () => {
    expect(Object.keys(services).sort()).toEqual([
      'ConnectionBudget:Data/Budget',
      'ConnectionBudget:Data/Budget:Services/Api',
      'ConnectionBudget:Data/Budget:Services/Worker',
    ]);
    expect(services['ConnectionBudget:Data/Budget:Services/Api']).toBe(consumerLine(ledger.consumers.find((c) => c.path === 'Services/Api')!));
    expect(services['ConnectionBudget:Data/Budget:Services/Api']).toBe('200 = 20 tasks × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100');
    expect(services['ConnectionBudget:Data/Budget']).toBe(data['ConnectionBudget:Data/Budget']);
  });

  test('the budget\'s record sits on a resource of its own that deploys nothing: its inputs and where each consumer\'s record is', () => {
    const holders = Object.values(resources(h.data)).filter((r) => r.Metadata?.ConnectionBudget);
    expect(holders.map((r) => r.Type)).toEqual(['AWS::CloudFormation::WaitConditionHandle']);
    const record = holders[0].Metadata!.ConnectionBudget;
    expect(record).toMatchObject({ schema: RECORD_SCHEMA, schemaVersion: 1, budgetPath: 'Data/Budget', inputs: { engine: 'rds-postgresql', warningThresholdPercent: 90 } });
    expect(record.consumers).toEqual({ 'Services/Api': { stack: 'Services', stackName: 'Services' }, 'Services/Worker': { stack: 'Services', stackName: 'Services' } });
  });

  test('each consumer\'s record sits on its own resource: only what the templates cannot say', () => {
    const api = Object.values(resources(h.services)).find((r) => r.Type === 'AWS::ECS::Service' && r.Metadata?.ConnectionBudget?.budgets?.['Data/Budget']?.['Services/Api']);
    expect(api!.Metadata!.ConnectionBudget.budgets['Data/Budget']['Services/Api']).toEqual({
      kind: 'ecs-service',
      route: 'proxy',
      connections: { processes: 1, poolsPerProcess: 1, overflowPerPool: 0 },
      pool: { kind: 'fixed', size: 10 },
      inWaves: false,
      demand: 200,
      inputs: expect.objectContaining({ container: 'app', preset: { framework: 'generic', prefix: 'DB_POOL' }, minIdleConnections: null, databaseUser: null }),
      digest: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  test('each consumer\'s record holds the digest of the rest of it, as a reader decodes it: references and all', () => {
    const records = Object.values(resources(h.services)).flatMap((r) => (r.Metadata?.ConnectionBudget ? [parseConsumerRecords(r.Metadata.ConnectionBudget, 'x')] : []))
      .flatMap((r) => Object.values(r.budgets).flatMap((byPath) => Object.values(byPath)));
    expect(records).toHaveLength(2);
    // The records hold references (their security groups), written as JSON text and read back as they were.
    expect(JSON.stringify(records)).toMatch(/"Fn::GetAtt"/);
    for (const record of records) expect(recordDigest(record)).toBe(record.digest);
  });

  test('holds every reference as JSON text: CloudFormation reads intrinsic functions in a resource\'s Metadata, and one to another stack would fail the deployment', () => {
    const text = JSON.stringify(Object.values({ ...resources(h.data), ...resources(h.services) }).map((r) => r.Metadata?.ConnectionBudget ?? null));
    expect(text).not.toMatch(/"(Ref|Fn::[A-Za-z]+)":/);
    expect(text).toMatch(/"intrinsicJson":"\{\\"Fn::GetAtt\\"/);
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
      const ledger = ledgerOf(h.app, 'Data/Budget');
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
