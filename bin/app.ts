#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildPlatform } from './example/platform';

const app = new App();
const storefrontMaxCapacity = app.node.tryGetContext('storefrontMaxCapacity');
const deployInWaves = app.node.tryGetContext('deployInWaves');
buildPlatform(app, {
  storefrontMaxCapacity: storefrontMaxCapacity === undefined ? undefined : Number(storefrontMaxCapacity),
  // `-c deployInWaves=true` on the command line is the string 'true'.
  deployInWaves: deployInWaves === true || deployInWaves === 'true',
});
