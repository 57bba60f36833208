import { LambdaFunctionShape, MAX_COUNT } from '../budget';
import { ShapeFacts } from './ecs-service-shape';
import { countAlternatives, describeValue, field } from './values';

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
  // Every branch of a conditional value may deploy: one that leaves it out leaves the function unbounded.
  const count = countAlternatives(field(properties, 'ReservedConcurrentExecutions'), 0, MAX_COUNT);
  if (count.invalid) {
    return {
      unresolved: [],
      invalid: [{
        path, what: 'ReservedConcurrentExecutions', value: describeValue(count.invalid.value), allowed: `a whole number from 0 to ${MAX_COUNT}`,
        fix: `Give '${path}' a reserved concurrency Lambda accepts.`,
      }],
    };
  }
  if (count.absent) {
    return { unbounded: count.largest === undefined && !count.token ? 'no reserved concurrency' : 'no reserved concurrency when its condition leaves it out', unresolved: [], invalid: [] };
  }
  if (!count.token) {
    return { shape: { kind: 'lambda-function', maxConcurrency: count.largest!, maxConcurrencyBasis: 'reserved concurrency' }, unresolved: [], invalid: [] };
  }
  if (maxConcurrencyBound !== undefined) {
    const literalWins = count.largest !== undefined && count.largest > maxConcurrencyBound;
    return {
      shape: { kind: 'lambda-function', maxConcurrency: literalWins ? count.largest! : maxConcurrencyBound, maxConcurrencyBasis: literalWins ? 'reserved concurrency' : 'maxConcurrency bound' },
      unresolved: [],
      invalid: [],
    };
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
