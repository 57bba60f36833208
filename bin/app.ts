#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildPlatform } from './example/platform';

const app = new App();
const storefrontMaxCapacity = app.node.tryGetContext('storefrontMaxCapacity');
buildPlatform(app, { storefrontMaxCapacity: storefrontMaxCapacity === undefined ? undefined : Number(storefrontMaxCapacity) });
