import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * What is wrong when `construct` sits in a stack of another copy of aws-cdk-lib than this library's, else undefined.
 * A `file:` dependency or `npm link` keeps the library's own node_modules: every class check of the app's constructs
 * then fails (a service "is not an ECS service"), so the copies are named first. Stack.of and Stack.isStack recognize a
 * stack of any copy; `instanceof` only one of this library's.
 */
export function otherCdkCopyProblem(construct: IConstruct): string | undefined {
  const stack: IConstruct = Stack.of(construct);
  if (stack instanceof Stack) return undefined;
  return `its stack '${stack.node.path}' is made with another copy of aws-cdk-lib than the one this library loads `
    + `(${path.dirname(require.resolve('aws-cdk-lib/package.json'))}), so nothing of the app is what the library can read. `
    + 'A file: dependency or npm link keeps the library\'s own node_modules: install cdk-connection-budget from its tarball (npm pack) '
    + 'or the registry, so that it shares the app\'s aws-cdk-lib.';
}
