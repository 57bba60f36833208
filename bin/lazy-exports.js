#!/usr/bin/env node
// A step of `npm run build`, after jsii compiled lib/ into dist/: the main entry loads the cdk-nag rule pack only when
// an app uses ConnectionBudgetChecks, so an app without cdk-nag, or with cdk-nag 2, imports the library. jsii's runtime
// for the other languages reads the export by name, which the getter serves.
const fs = require('fs');
const path = require('path');

const entry = path.join(__dirname, '..', 'dist', 'lib', 'index.js');
const eager = '__exportStar(require("./nag/connection-budget-checks"), exports);';
const lazy = [
  'Object.defineProperty(exports, "ConnectionBudgetChecks", {',
  '    enumerable: true,',
  '    get: function () {',
  '        try {',
  '            require.resolve("cdk-nag");',
  '        }',
  '        catch (e) {',
  '            throw new Error("cdk-connection-budget: ConnectionBudgetChecks is a cdk-nag 3 rule pack, and this app has no cdk-nag; "',
  '                + "install it (npm install cdk-nag@^3) to use the pack. The connection budget itself does not need cdk-nag.", { cause: e });',
  '        }',
  '        return require("./nag/connection-budget-checks").ConnectionBudgetChecks;',
  '    },',
  '});',
].join('\n');

const text = fs.readFileSync(entry, 'utf8');
if (!text.includes(eager)) {
  if (text.includes('"ConnectionBudgetChecks", {')) process.exit(0);
  process.stderr.write(`lazy-exports: ${entry} does not export the rule pack as expected (${eager}); update bin/lazy-exports.js with lib/index.ts.\n`);
  process.exit(1);
}
fs.writeFileSync(entry, text.replace(eager, lazy));
