import * as fs from 'fs';
import * as path from 'path';
import { GUARD_BUNDLING, GUARD_RUNTIME } from '../../lib/constructs/guard-function';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain script of the build, not a module of the library
const { HANDLERS, OPTIONS } = require('../../bin/bundle-handlers') as { HANDLERS: string[]; OPTIONS: { external: string[]; minify: boolean; target: string; format: string } };

describe('the package bundles the guards\' handlers as a checkout bundles them at synth', () => {
  test('the same modules left out, minified, for the guards\' runtime, as CommonJS', () => {
    expect(OPTIONS.external).toEqual(GUARD_BUNDLING.externalModules);
    expect(OPTIONS.minify).toBe(GUARD_BUNDLING.minify);
    // nodejs24.x runs node24.
    expect(OPTIONS.target).toBe(GUARD_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, 'node$1'));
    expect(OPTIONS.format).toBe('cjs');
  });

  test('every handler it bundles is a guard source', () => {
    for (const name of HANDLERS) {
      expect(fs.existsSync(path.join(__dirname, '..', '..', 'lib', 'guards', `${name}.ts`))).toBe(true);
    }
  });
});
