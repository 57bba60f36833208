import {
  Duration, aws_applicationautoscaling as appscaling, aws_ec2 as ec2, aws_ecs as ecs, aws_events as events, aws_events_targets as targets,
  aws_lambda as lambda, aws_rds as rds,
} from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { PoolSize } from '../../lib';
import { Harness, harness, synthErrors } from '../constructs/harness';

/**
 * A valid app, then ordinary CDK code run after the budget registered everything: an override, an extra
 * addEnvironment, an extra rule or security group member, an extra container, an extra launcher. Whatever changes
 * what deploys must fail synth; whatever leaves it as the budget counted (an override to the same value) must pass.
 */
interface App {
  readonly h: Harness;
  readonly api: ecs.FargateService;
  readonly worker: ecs.FargateService;
  readonly fn: lambda.Function;
}

function validApp(): App {
  // max_connections 2000 behind a proxy at 90 %: ceiling 1795, far above the app's 250, so only the verification decides.
  const h = harness({ maxConnectionsParameter: '2000', proxyPercent: 90 });
  const api = h.service('Api', { desiredCount: 2, maxCapacity: 10 }, { pool: PoolSize.fixed(10) }); // 20 × 10 = 200
  const worker = h.service('Worker', { desiredCount: 2 }, { pool: PoolSize.fixed(5) }); // 4 × 5 = 20
  const fn = new lambda.Function(h.services, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;'),
    vpc: h.vpc, reservedConcurrentExecutions: 10,
  });
  h.budget.addLambdaFunction(fn, { pool: PoolSize.fixed(3) }); // 10 × 3 = 30
  return { h, api, worker, fn };
}

/** A change and whether it changes what deploys against what the budget counted. */
interface Mutation {
  readonly name: string;
  readonly changesWhatDeploys: boolean;
  readonly apply: (app: App) => void;
}

const scalableTarget = (app: App) => app.api.node.findAll().find((c) => c instanceof appscaling.CfnScalableTarget) as appscaling.CfnScalableTarget;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.oneof(fc.constant(10), fc.integer({ min: 5, max: 15 })).map((n) => ({
    name: `override Api MaxCapacity ${n}`, changesWhatDeploys: n !== 10,
    apply: (app: App) => scalableTarget(app).addPropertyOverride('MaxCapacity', n),
  })),
  fc.constantFrom(200, 100, 150, 300).map((p) => ({
    name: `override Worker MaximumPercent ${p}`, changesWhatDeploys: p !== 200,
    apply: (app: App) => (app.worker.node.defaultChild as ecs.CfnService).addPropertyOverride('DeploymentConfiguration.MaximumPercent', p),
  })),
  fc.oneof(fc.constant(10), fc.integer({ min: 5, max: 15 })).map((n) => ({
    name: `override Fn ReservedConcurrentExecutions ${n}`, changesWhatDeploys: n !== 10,
    apply: (app: App) => (app.fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('ReservedConcurrentExecutions', n),
  })),
  fc.constantFrom(90, 80, 100).map((p) => ({
    name: `override the proxy's MaxConnectionsPercent ${p}`, changesWhatDeploys: p !== 90,
    apply: (app: App) => (app.h.proxy!.node.findChild('ProxyTargetGroup') as rds.CfnDBProxyTargetGroup).addPropertyOverride('ConnectionPoolConfigurationInfo.MaxConnectionsPercent', p),
  })),
  fc.oneof(fc.constant(10), fc.integer({ min: 8, max: 12 })).map((n) => ({
    name: `addEnvironment DB_POOL_MAX ${n} on Api`, changesWhatDeploys: n !== 10,
    apply: (app: App) => app.api.taskDefinition.defaultContainer!.addEnvironment('DB_POOL_MAX', String(n)),
  })),
  fc.constant({
    name: 'a rule from a new security group to the proxy', changesWhatDeploys: true,
    apply: (app: App) => app.h.proxy!.connections.allowFrom(new ec2.SecurityGroup(app.h.data, 'Extra', { vpc: app.h.vpc }), ec2.Port.tcp(5432)),
  }),
  fc.constant({
    name: 'a service placed in Api\'s security group', changesWhatDeploys: true,
    apply: (app: App) => {
      const taskDefinition = new ecs.FargateTaskDefinition(app.h.services, 'StowawayTask');
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/app:1') });
      new ecs.FargateService(app.h.services, 'Stowaway', { cluster: app.h.cluster, taskDefinition, securityGroups: app.api.connections.securityGroups, minHealthyPercent: 100 });
    },
  }),
  fc.constant({
    name: 'a second container of Api with its own pool', changesWhatDeploys: true,
    apply: (app: App) => app.api.taskDefinition.addContainer('sidecar', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/example/sidecar:1'), environment: { PGHOST: app.h.proxy!.endpoint },
    }),
  }),
  fc.constant({
    name: 'a rule that runs Api\'s task definition', changesWhatDeploys: true,
    apply: (app: App) => new events.Rule(app.h.services, 'Backfill', { schedule: events.Schedule.rate(Duration.hours(1)) })
      .addTarget(new targets.EcsTask({ cluster: app.h.cluster, taskDefinition: app.api.taskDefinition, taskCount: 3 })),
  }),
);

test('every change to what deploys fails synth, and a change that leaves it as counted passes', () => {
  let failed = 0;
  let passed = 0;
  fc.assert(fc.property(fc.uniqueArray(mutation, { minLength: 1, maxLength: 2, selector: (m) => m.name.replace(/ \d+$/, '') }), (mutations) => {
    const app = validApp();
    mutations.forEach((m) => m.apply(app));
    const errors = synthErrors(app.h.app);
    const shouldFail = mutations.some((m) => m.changesWhatDeploys);
    if (shouldFail) failed += 1; else passed += 1;
    if (shouldFail !== errors.length > 0) {
      throw new Error(`${mutations.map((m) => m.name).join(' + ')}: expected ${shouldFail ? 'a failing' : 'a passing'} synth, got ${JSON.stringify(errors)}`);
    }
  }), { numRuns: 60, seed: 20261128 });
  // Both outcomes occurred: the property said something either way.
  expect(failed).toBeGreaterThan(0);
  expect(passed).toBeGreaterThan(0);
});
