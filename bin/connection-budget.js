#!/usr/bin/env node
// The connection-budget CLI. Its code is lib/cli, compiled into dist/ by `npm run build` (the package ships dist/).
const fs = require('fs');
const path = require('path');
const main = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(`connection-budget: ${main} is missing; run npm run build in ${path.join(__dirname, '..')} first.\n`);
  process.exit(3);
}
require(main).runFromProcess();
