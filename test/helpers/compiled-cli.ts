import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');
/** The package's bin, as npx runs it. */
export const BIN = path.join(ROOT, 'bin', 'connection-budget.js');

/**
 * The bin runs the compiled CLI in dist (what the package ships). `npm run build` writes it; when the
 * sources are newer (a test run without a build), compile them first so a test never runs stale code.
 */
export function ensureCompiled(): void {
  const compiled = path.join(ROOT, 'dist', 'lib', 'cli', 'main.js');
  const newest = (dir: string): number => Math.max(0, ...fs.readdirSync(dir, { withFileTypes: true }).map((e) =>
    e.isDirectory() ? newest(path.join(dir, e.name)) : e.name.endsWith('.ts') ? fs.statSync(path.join(dir, e.name)).mtimeMs : 0));
  if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < newest(path.join(ROOT, 'lib'))) {
    // From scratch: a module whose source was removed or moved must not linger in dist and be loaded instead.
    fs.rmSync(path.join(ROOT, 'dist', 'lib'), { recursive: true, force: true });
    execFileSync('npx', ['tsc', '-p', 'tsconfig.jsii.json'], { cwd: ROOT, stdio: 'pipe' });
    // As npm run build does after jsii: the main entry loads cdk-nag only when the rule pack is used.
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lazy-exports.js')], { cwd: ROOT, stdio: 'pipe' });
  }
}
