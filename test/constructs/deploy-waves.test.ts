import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Stage, aws_ec2 as ec2, aws_ecs as ecs, aws_rds as rds } from 'aws-cdk-lib';
import { ConnectionBudget, DatabaseTarget, PoolSize } from '../../lib';
import { LedgerJson } from '../../lib/budget';
import { readTemplates } from '../../lib/template/read';
import { TemplateSet } from '../../lib/template/template-set';
import { verifyLedger } from '../../lib/template/verify';
import { harness, Harness, POSTGRES, synthErrors } from './harness';
import { ledgerOf } from '../helpers/ledgers';

/**
 * Three services through one proxy: Api and Worker in 'Services', Billing in 'Billing' (on its own cluster, so neither
 * stack depends on the other; or on the cluster of 'Services', so 'Billing' depends on 'Services'), each rolling at 200 %.
 * max_connections 400 behind a proxy at 100 %.
 */
function platform(deployInWaves: boolean, build?: (h: Harness, billing: Stack) => void, sharedCluster = false): { h: Harness; billing: Stack } {
  const h = harness({ maxConnectionsParameter: '400', proxyPercent: 100, budget: { deployInWaves } });
  const share = PoolSize.share({ weight: 1, min: 1, max: 50 });
  h.service('Worker', { desiredCount: 2, maxCapacity: 5 }, { pool: share });
  h.service('Api', { desiredCount: 2, maxCapacity: 10 }, { pool: share });
  const billing = new Stack(h.app, 'Billing');
  const taskDefinition = new ecs.FargateTaskDefinition(billing, 'BillingTask');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
  const cluster = sharedCluster ? h.cluster : new ecs.Cluster(billing, 'Cluster', { vpc: h.vpc });
  const service = new ecs.FargateService(billing, 'Billing', { cluster, taskDefinition, desiredCount: 4, minHealthyPercent: 100 });
  h.budget.addEcsService(service, { pool: PoolSize.fixed(5) });
  build?.(h, billing);
  return { h, billing };
}


describe('deployInWaves', () => {
  const waves = platform(true);
  const assembly = waves.h.app.synth();
  const services = assembly.getStackArtifact('Services').template.Resources as Record<string, any>;
  const idOf = (prefix: string) => Object.keys(services).find((id) => id.startsWith(prefix) && services[id].Type === 'AWS::ECS::Service')!;
  const ledger = ledgerOf(assembly, 'Data/Budget');
  const parallel = ledgerOf(platform(false).h.app, 'Data/Budget');

  test('chains the services: within a stack by DependsOn in path order, across stacks by a stack dependency', () => {
    // Billing's stack comes first: 'Billing' sorts before 'Services' and neither depends on the other.
    expect(services[idOf('Api')].DependsOn ?? []).not.toContain(idOf('Worker'));
    expect(services[idOf('Worker')].DependsOn).toContain(idOf('Api'));
    expect(assembly.getStackArtifact('Services').dependencies.map((d) => d.id)).toContain('Billing');
    expect(assembly.getStackArtifact('Billing').dependencies.map((d) => d.id)).not.toContain('Services');
    expect(ledger.inputs!.waves!.services.map((s) => s.path)).toEqual(['Billing/Billing', 'Services/Api', 'Services/Worker']);
  });

  test('orders the stacks as their references require: a stack that uses another deploys after it, no cycle', () => {
    const shared = platform(true, undefined, true).h.app.synth();
    // Billing's service references the cluster of 'Services', so 'Services' deploys first and Billing after Worker.
    expect(shared.getStackArtifact('Billing').dependencies.map((d) => d.id)).toContain('Services');
    expect(shared.getStackArtifact('Services').dependencies.map((d) => d.id)).not.toContain('Billing');
    const read = ledgerOf(shared, 'Data/Budget');
    expect(read.totals.chains!.map((c) => c.services)).toEqual([['Billing/Billing', 'Services/Api', 'Services/Worker']]);
  });

  test('credits the chain: the largest surge counts once, and the same ceiling derives larger pools', () => {
    const pools = (l: LedgerJson) => Object.fromEntries(l.consumers.map((c) => [c.path, c.pool.size]));
    // Ceiling 390 (400 − 5 engine reserve − 5 kept by RDS Proxy). Without waves: Billing 8 × 5 = 40 fixed; Api's 20 and
    // Worker's 10 peak tasks share the other 350 evenly by connections: 180 + 170.
    expect(parallel.totals.chains).toEqual([]);
    expect(pools(parallel)).toEqual({ 'Billing/Billing': 5, 'Services/Api': 9, 'Services/Worker': 17 });
    expect(pools(ledger)).toEqual({ 'Billing/Billing': 5, 'Services/Api': 12, 'Services/Worker': 25 });
    expect(ledger.totals.chains).toEqual([{
      chain: 'Billing/Billing', services: ['Billing/Billing', 'Services/Api', 'Services/Worker'], largest: { service: 'Services/Worker', connections: 125 },
    }]);
    // 4 × 5 + 10 × 12 + 5 × 25 steady, and Worker's 5 surge tasks × 25.
    expect(ledger.totals.demand).toBe(20 + 120 + 125 + 125);
    expect(ledger.totals.uncreditedDemand).toBe(40 + 240 + 250);
    expect(ledger.totals.demand).toBeLessThanOrEqual(ledger.totals.ceiling!);
    expect(ledger.consumers.find((c) => c.path === 'Services/Api')!.wave).toEqual({ chain: 'Billing/Billing', service: 'Services/Api' });
  });

  test('reports the start-up storm of the largest wave: one service of the chain', () => {
    expect(ledger.startup!.largestDeployment).toEqual({ connections: 10, consumers: ['Services/Api'] });
    expect(parallel.startup!.largestDeployment).toEqual({ connections: 4 + 10 + 5, consumers: ['Billing/Billing', 'Services/Api', 'Services/Worker'] });
    expect(ledger.startup!.consumers.find((c) => c.path === 'Services/Api')).toEqual({
      path: 'Services/Api', newTasks: 10, perPool: 1, connections: 10, basis: 'minimum idle 1 (the generic DB_POOL_* variables)', framework: 'generic', minIdleDelivered: true,
    });
  });

  test('the CLI reads the same chain from the cloud assembly', () => {
    const set = new TemplateSet(readTemplates(assembly.directory).stacks);
    const verified = verifyLedger(ledger, set);
    expect(verified.ledger.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(verified.ledger.totals).toEqual(ledger.totals);
  });

  test('exported templates record no stack dependencies: a link across stacks is taken from the ledger, one within a stack is read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-'));
    try {
      const exported = (stack: string, template: Record<string, any>) => fs.writeFileSync(path.join(dir, `${stack}.json`), JSON.stringify({ TemplateBody: template }));
      for (const stack of ['Data', 'Services', 'Billing']) exported(stack, assembly.getStackArtifact(stack).template);
      const intact = verifyLedger(ledger, new TemplateSet(readTemplates(dir).stacks));
      expect(intact.ledger.problems.filter((p) => p.level === 'error')).toEqual([]);
      expect(intact.ledger.totals).toEqual(ledger.totals);
      // The same deployed templates with Worker's DependsOn gone: the link within 'Services' is read, and broken.
      const broken = JSON.parse(JSON.stringify(assembly.getStackArtifact('Services').template));
      delete broken.Resources[idOf('Worker')].DependsOn;
      exported('Services', broken);
      const verified = verifyLedger(ledger, new TemplateSet(readTemplates(dir).stacks));
      expect(verified.ledger.totals.chains!.map((c) => c.services)).toEqual([['Billing/Billing', 'Services/Api'], ['Services/Worker']]);
      // Rebuilt with two surges counted, the derived pools come out smaller than the ones delivered.
      expect(verified.ledger.consumers.find((c) => c.path === 'Services/Api')!.pool.size).toBeLessThan(12);
      expect(verified.ledger.problems.find((p) => p.id === 'CB-LEDGER-DIFFERS')!.message).toContain(
        "the ledger gives the deployment order of 'Services/Worker' as after 'Services/Api' (deployInWaves), but the templates give not after it");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a chain broken by hand loses its credit and fails synth, naming the link', () => {
    const { h } = platform(true, (harnessed) => {
      const worker = harnessed.services.node.findChild('Worker').node.defaultChild as ecs.CfnService;
      worker.addDeletionOverride('DependsOn');
    });
    const errors = synthErrors(h.app);
    expect(errors[0]).toBe("[Data/Budget] ConnectionBudget 'Data/Budget': the ledger gives the deployment order of 'Services/Worker' as after 'Services/Api' (deployInWaves), "
      + "but the templates give not after it: neither its DependsOn nor its references lead to 'Services/Api'; both services can surge at once, so the chain earns "
      + 'no credit there. Keep the DependsOn and stack dependencies deployInWaves adds (no override or Aspect that removes them), and synthesize with '
      + 'validation: the budget chains the services while CDK validates the app, which app.synth({ skipValidation: true }) skips. [CB-LEDGER-DIFFERS]');
    // Without the credit the derived pools come out smaller than the ones delivered: the next errors say so.
    expect(errors[1]).toContain("the ledger gives the worst case of 'Services/Api' as 240 = 20 tasks × pool 12");
    expect(errors[1]).toContain('but the templates give 180 = 20 tasks × pool 9');
  });

  test('two chained services of a stack that already wait the other way round are reported, not deployed in a loop', () => {
    const { h } = platform(true, (harnessed) => {
      // Api's task definition names Worker's service: Api waits for Worker, and the chain (by path) puts Worker after Api.
      const api = harnessed.services.node.findChild('Api') as ecs.FargateService;
      const worker = harnessed.services.node.findChild('Worker') as ecs.FargateService;
      api.taskDefinition.defaultContainer!.addEnvironment('WORKER_SERVICE', worker.serviceName);
    });
    expect(synthErrors(h.app).join('\n')).toContain("the ledger gives the deployment order of 'Services/Worker' and 'Services/Api' as one after the other "
      + '(deployInWaves), but the templates give each waits for the other, a circular dependency CloudFormation refuses. Remove what makes '
      + "'Services/Api' wait for 'Services/Worker' (a Ref or GetAtt of it, which the chain cannot see when it orders the services), or leave "
      + 'deployInWaves off. [CB-LEDGER-DIFFERS]');
  });

  test('within a stack, a service that already waits for another through node.addDependency deploys after it, no loop', () => {
    const { h } = platform(true, (harnessed) => {
      // Path order would put Worker after Api; Api already waits for Worker.
      harnessed.services.node.findChild('Api').node.addDependency(harnessed.services.node.findChild('Worker'));
    });
    expect(synthErrors(h.app)).toEqual([]);
    const template = h.app.synth().getStackArtifact('Services').template;
    const id = (prefix: string) => Object.keys(template.Resources).find((key) => key.startsWith(prefix) && template.Resources[key].Type === 'AWS::ECS::Service')!;
    expect(template.Resources[id('Api')].DependsOn).toContain(id('Worker'));
    expect(template.Resources[id('Worker')].DependsOn ?? []).not.toContain(id('Api'));
  });

  test('refuses services of a stage the budget is not in: CDK writes that stage\'s templates before the budget chains them', () => {
    const app = new App();
    const data = new Stack(app, 'Data');
    const group = ec2.SecurityGroup.fromSecurityGroupId(data, 'DbGroup', 'sg-0123456789abcdef0', { mutable: false });
    const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(data, 'Db', {
      instanceIdentifier: 'db', instanceEndpointAddress: 'db.example.com', port: 5432, securityGroups: [group], engine: POSTGRES,
    });
    const budget = new ConnectionBudget(data, 'Budget', { database: DatabaseTarget.fromInstance(database), maxConnections: 400, deployInWaves: true });
    const stack = new Stack(new Stage(app, 'Prod'), 'Services');
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
    for (const id of ['Api', 'Worker']) {
      const taskDefinition = new ecs.FargateTaskDefinition(stack, `${id}Task`);
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
      budget.addEcsService(new ecs.FargateService(stack, id, { cluster, taskDefinition, desiredCount: 3, minHealthyPercent: 100 }), { pool: PoolSize.fixed(5) });
    }
    expect(synthErrors(app)[0]).toBe("[Data/Budget] ConnectionBudget 'Data/Budget': deployInWaves chains only services of the budget's own stage "
      + "('(the app)'): 'Prod/Services/Api', 'Prod/Services/Worker' are in the stage 'Prod', whose templates CDK writes before the budget's "
      + 'stage is validated, when the chain is made; define the budget in that stage, or leave deployInWaves off.');
  });

  test('synthesized without validation, the chain is not made: the verification says why the links are missing', () => {
    const { h } = platform(true);
    let report = '';
    try {
      h.app.synth({ skipValidation: true });
    } catch (e) {
      report = (e as Error).message;
    }
    expect(report).toContain("the ledger gives the deployment order of 'Services/Worker' as after 'Services/Api' (deployInWaves)");
    expect(report).toContain('which app.synth({ skipValidation: true }) skips');
  });

  test('leaves out a service that CodeDeploy deploys: it counts at its own peak', () => {
    const h = harness({ maxConnectionsParameter: '400', proxyPercent: 100, budget: { deployInWaves: true } });
    h.service('Api', { desiredCount: 2 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'BlueGreenTask');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    const blueGreen = new ecs.FargateService(h.services, 'BlueGreen', {
      cluster: h.cluster, taskDefinition, desiredCount: 2, deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
    });
    h.budget.addEcsService(blueGreen, { pool: PoolSize.fixed(5) });
    const read = ledgerOf(h.app);
    expect(read.inputs!.waves!.services.map((s) => s.path)).toEqual(['Services/Api']);
    expect(read.consumers.find((c) => c.path === 'Services/BlueGreen')!.wave).toBeNull();
    expect(read.consumers.find((c) => c.path === 'Services/BlueGreen')!.demand).toBe(4 * 5);
  });

  test('a chained service with a container that bypasses the proxy: that container counts at its peak among the direct clients', () => {
    const h = harness({ maxConnectionsParameter: '400', proxyPercent: 50, budget: { deployInWaves: true } });
    h.service('Api', { desiredCount: 2 });
    const taskDefinition = new ecs.FargateTaskDefinition(h.services, 'MixedTask');
    taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
    taskDefinition.addContainer('migrator', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1'), essential: false });
    const mixed = new ecs.FargateService(h.services, 'Mixed', { cluster: h.cluster, taskDefinition, desiredCount: 2, minHealthyPercent: 100 });
    h.budget.addEcsService(mixed, { containerName: 'web', pool: PoolSize.fixed(5) });
    h.budget.addEcsService(mixed, { containerName: 'migrator', pool: PoolSize.fixed(2), bypassProxy: true });
    const read = ledgerOf(h.app);
    expect(read.consumers.find((c) => c.path === 'Services/Mixed')!.wave).toEqual({ chain: 'Services/Api', service: 'Services/Mixed' });
    expect(read.consumers.find((c) => c.path === 'Services/Mixed[migrator]')!.wave).toBeNull();
    // 2 tasks at 200 %: 4 × 2, outside the proxy's share.
    expect(read.totals.directDemand).toBe(8);
  });

  test('reads an override to CODE_DEPLOY as a break', () => {
    const { h } = platform(true, (harnessed) => {
      const api = harnessed.services.node.findChild('Api').node.defaultChild as ecs.CfnService;
      api.addPropertyOverride('DeploymentController', { Type: 'CODE_DEPLOY' });
    });
    expect(synthErrors(h.app).join('\n')).toContain("the ledger gives how 'Services/Api' deploys as by CloudFormation, in the chain of deployInWaves, "
      + 'but the templates give its DeploymentController Type is CODE_DEPLOY, which deploys it outside CloudFormation');
  });
});
