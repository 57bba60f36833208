#!/usr/bin/env node
// The connection-budget CLI; the code is in lib/cli, compiled to dist by `npm run build`.
require('../dist/lib/cli/main.js').runFromProcess();
