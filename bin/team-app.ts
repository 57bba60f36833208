#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { OrdersTeamStack, TEAM_ENV } from './example/team';

// Run from bin/team (cd bin/team && npx cdk synth): its cdk.json names this app and its cdk.context.json holds the
// cached allocation record.
const app = new App();
const max = app.node.tryGetContext('orderApiMaxCapacity');
new OrdersTeamStack(app, 'OrdersTeam', { env: TEAM_ENV, orderApiMaxCapacity: max === undefined ? undefined : Number(max) });
