#!/usr/bin/env node
// A step of `npm run build` (and of `npm pack`, so a package never ships stale handlers): bundles each deploy-time guard's
// Lambda handler, with its database driver, into dist/handlers/<name>/index.js, which the package ships. An app that
// installs the package then synthesizes the guards' functions from these files, without esbuild or Docker of its own; a
// checkout bundles them from lib/guards at synth instead (NodejsFunction), so a change of a handler needs no build to be tested.
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
/** The handlers lib/constructs/guard-function.ts names; each exports `handler`. */
const HANDLERS = ['allocation-guard-handler', 'database-users-mysql', 'database-users-postgres', 'reboot-guard-handler'];
/**
 * As NodejsFunction bundles them in a checkout (GUARD_BUNDLING in lib/constructs/guard-function.ts; a test holds the two
 * alike): the guards' runtime (GUARD_RUNTIME, Node.js 24) provides AWS SDK v3. The
 * bundled drivers' licence comments stay, at the end of each file.
 */
const OPTIONS = {
  bundle: true, minify: true, platform: 'node', target: 'node24', format: 'cjs',
  external: ['@aws-sdk/*', 'pg-native'], logLevel: 'warning', legalComments: 'eof',
};

/** Bundles every handler into `outdir/<name>/index.js`, replacing what is there. */
function bundleHandlers(outdir) {
  const esbuild = require('esbuild');
  fs.rmSync(outdir, { recursive: true, force: true });
  for (const name of HANDLERS) {
    esbuild.buildSync({ ...OPTIONS, entryPoints: [path.join(ROOT, 'lib', 'guards', `${name}.ts`)], outfile: path.join(outdir, name, 'index.js') });
  }
}

module.exports = { HANDLERS, OPTIONS, bundleHandlers };

if (require.main === module) {
  bundleHandlers(path.join(ROOT, 'dist', 'handlers'));
}
