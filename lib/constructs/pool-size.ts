import { DEFAULT_SHARE, MAX_COUNT, MAX_POOL_SIZE, PoolRequest } from '../budget';
import { ConstructInputError } from '../private/construct-input-error';
import { unknownKeyProblems } from '../private/option-names';
import { describeNumber, isWholeNumber, wholeNumberProblem } from '../private/validation';

/** How a weighted pool is derived from the budget. */
export interface PoolShareOptions {
  /**
   * The consumer's share of the connections that fixed pools leave, relative to other shares.
   *
   * @default 1
   */
  readonly weight?: number;

  /**
   * The smallest pool per process the consumer can work with; if even the minimums do not fit, synth fails.
   *
   * @default 1
   */
  readonly min?: number;

  /**
   * The largest pool per process the consumer is given, however much room the budget has (at most 262,143, the
   * largest max_connections any engine accepts).
   *
   * @default 20
   */
  readonly max?: number;
}

/**
 * The size of each connection pool of a consumer: declared, or derived from the budget.
 */
export class PoolSize {
  /**
   * A pool of exactly `size` connections per process (1 to 262,143, the largest max_connections any engine
   * accepts); the budget checks that it fits.
   */
  public static fixed(size: number): PoolSize {
    const problems = wholeNumberProblem('size', size, 1, MAX_POOL_SIZE);
    if (problems.length > 0) {
      throw new ConstructInputError(`PoolSize.fixed(): ${problems[0]}.`);
    }
    return new PoolSize({ kind: 'fixed', size });
  }

  /**
   * A pool derived from the budget: a weighted share of what fixed pools leave, within [min, max].
   */
  public static share(options: PoolShareOptions = {}): PoolSize {
    const weight = options.weight ?? DEFAULT_SHARE.weight;
    const min = options.min ?? DEFAULT_SHARE.min;
    const max = options.max ?? DEFAULT_SHARE.max;
    const problems: string[] = unknownKeyProblems(options, 'PoolShareOptions', 'option');
    if (!(Number.isFinite(weight) && isWholeNumber(Math.ceil(weight), 1, MAX_COUNT) && weight > 0)) {
      problems.push(`weight must be a number above 0 and at most ${MAX_COUNT}, got ${describeNumber(weight)}`);
    }
    problems.push(...wholeNumberProblem('min', min, 1, MAX_POOL_SIZE));
    if (!isWholeNumber(max, isWholeNumber(min, 1) ? min : 1, MAX_POOL_SIZE)) {
      problems.push(`max must be a whole number from min (${describeNumber(min)}) to ${MAX_POOL_SIZE}, got ${describeNumber(max)}`);
    }
    if (problems.length > 0) {
      throw new ConstructInputError(`PoolSize.share(): ${problems.join('; ')}.`);
    }
    return new PoolSize({ kind: 'share', weight, min, max });
  }

  /** @internal */
  public readonly _request: PoolRequest;

  private constructor(request: PoolRequest) {
    this._request = request;
  }
}
