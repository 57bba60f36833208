import * as fs from 'fs';
import * as path from 'path';

/** This library's npm name. */
export const PACKAGE_NAME = 'cdk-connection-budget';

/**
 * The version in this library's package.json, found by walking up from the compiled or source file
 * (dist/lib/… and lib/… sit at different depths); undefined when it cannot be found.
 */
export function libraryVersion(): string | undefined {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) {
        return pkg.version;
      }
    }
  }
  return undefined;
}
