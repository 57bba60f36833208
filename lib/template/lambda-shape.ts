import { LambdaFunctionShape, MAX_COUNT } from '../budget';
import { ShapeFacts } from './ecs-service-shape';
import { describeValue, field, wholeInRange } from './values';

/** A Lambda function's concurrency bound, or why it has none. */
export interface LambdaFacts extends ShapeFacts<LambdaFunctionShape> {
  /** Set when nothing bounds the function's concurrency. */
  readonly unbounded?: string;
}

/**
 * Reads ReservedConcurrentExecutions from an AWS::Lambda::Function's properties: the only bound on a function's
 * execution environments (SOURCES.lambdaReservedConcurrency). `maxConcurrencyBound` stands in for a token.
 */
export function lambdaShape(path: string, properties: unknown, maxConcurrencyBound: number | undefined): LambdaFacts {
  const value = field(properties, 'ReservedConcurrentExecutions');
  const reserved = wholeInRange(value, 0, MAX_COUNT);
  if (reserved.kind === 'known') {
    return { shape: { kind: 'lambda-function', maxConcurrency: reserved.value, maxConcurrencyBasis: 'reserved concurrency' }, unresolved: [], invalid: [] };
  }
  if (reserved.kind === 'invalid') {
    return {
      unresolved: [],
      invalid: [{
        path, what: 'ReservedConcurrentExecutions', value: describeValue(value), allowed: `a whole number from 0 to ${MAX_COUNT}`,
        fix: `Give '${path}' a reserved concurrency Lambda accepts.`,
      }],
    };
  }
  if (reserved.kind === 'absent') {
    return { unbounded: 'no reserved concurrency', unresolved: [], invalid: [] };
  }
  if (maxConcurrencyBound !== undefined) {
    return { shape: { kind: 'lambda-function', maxConcurrency: maxConcurrencyBound, maxConcurrencyBasis: 'maxConcurrency bound' }, unresolved: [], invalid: [] };
  }
  return {
    unresolved: [{
      path,
      what: 'ReservedConcurrentExecutions',
      fix: `Pass maxConcurrency to addLambdaFunction() for '${path}': the most reserved concurrency it can be given.`,
    }],
    invalid: [],
  };
}
