import { DEFAULT_SHARE, PoolRequest } from '../budget';

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
   * The largest pool per process the consumer is given, however much room the budget has.
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
   * A pool of exactly `size` connections per process; the budget checks that it fits.
   */
  public static fixed(size: number): PoolSize {
    if (!Number.isInteger(size) || size < 1) {
      throw new Error(`PoolSize.fixed(): size must be a whole number of at least 1, got ${size}.`);
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
    const problems: string[] = [];
    if (!(Number.isFinite(weight) && weight > 0)) problems.push(`weight must be a number above 0, got ${weight}`);
    if (!Number.isInteger(min) || min < 1) problems.push(`min must be a whole number of at least 1, got ${min}`);
    if (!Number.isInteger(max) || max < min) problems.push(`max must be a whole number of at least min (${min}), got ${max}`);
    if (problems.length > 0) {
      throw new Error(`PoolSize.share(): ${problems.join('; ')}.`);
    }
    return new PoolSize({ kind: 'share', weight, min, max });
  }

  /** @internal */
  public readonly _request: PoolRequest;

  private constructor(request: PoolRequest) {
    this._request = request;
  }
}
