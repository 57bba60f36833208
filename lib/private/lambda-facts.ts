import { aws_lambda as lambda } from 'aws-cdk-lib';
import { LambdaFunctionShape, UnresolvedValue } from '../budget';
import { numberValue, resolved } from './template-values';

/** A function's deployed concurrency bound, or why it has none. */
export interface LambdaFacts {
  readonly shape?: LambdaFunctionShape;
  /** Set when nothing bounds the function's concurrency. */
  readonly unbounded?: string;
  readonly unresolved: readonly UnresolvedValue[];
}

/**
 * Reads ReservedConcurrentExecutions from the CfnFunction: the only bound on a function's execution
 * environments (SOURCES.lambdaReservedConcurrency). `maxConcurrencyBound` stands in for a token value.
 */
export function gatherLambdaFacts(fn: lambda.Function, maxConcurrencyBound: number | undefined): LambdaFacts {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const reserved = numberValue(resolved(cfn, cfn.reservedConcurrentExecutions));
  if (reserved.kind === 'known') {
    return { shape: { kind: 'lambda-function', maxConcurrency: reserved.value, maxConcurrencyBasis: 'reserved concurrency' }, unresolved: [] };
  }
  if (reserved.kind === 'absent') {
    return { unbounded: 'no reserved concurrency', unresolved: [] };
  }
  if (maxConcurrencyBound !== undefined) {
    return { shape: { kind: 'lambda-function', maxConcurrency: maxConcurrencyBound, maxConcurrencyBasis: 'maxConcurrency bound' }, unresolved: [] };
  }
  return {
    unresolved: [{
      path: fn.node.path,
      what: 'ReservedConcurrentExecutions',
      fix: `Pass maxConcurrency to addLambdaFunction() for '${fn.node.path}': the most reserved concurrency it can be given.`,
    }],
  };
}
