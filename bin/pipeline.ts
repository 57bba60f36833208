#!/usr/bin/env node
// The example pipeline: npx cdk synth --app 'npx ts-node --prefer-ts-exts bin/pipeline.ts'
import { App } from 'aws-cdk-lib';
import { buildPipelineApp } from './example/pipeline';

const app = new App();
const storefrontMaxCapacity = app.node.tryGetContext('storefrontMaxCapacity');
buildPipelineApp(app, { storefrontMaxCapacity: storefrontMaxCapacity === undefined ? undefined : Number(storefrontMaxCapacity) });
