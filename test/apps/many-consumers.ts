#!/usr/bin/env node
// The benchmark app as a CDK app, for measuring the CLI (docs/develop.md):
//   npx cdk synth --app 'npx ts-node --transpile-only test/apps/many-consumers.ts' --output /tmp/many -q [-c extraTasks=3] [-c consumers=1000]
import { App } from 'aws-cdk-lib';
import { buildManyConsumers } from '../../bench/many-consumers';

const app = new App();
buildManyConsumers(app, {
  withBudget: true,
  extraTasks: Number(app.node.tryGetContext('extraTasks') ?? 0),
  consumers: app.node.tryGetContext('consumers') === undefined ? undefined : Number(app.node.tryGetContext('consumers')),
});
