import { MAX_COUNT, MAX_POOL_SIZE, presetProblems, PresetSpec } from '../../budget';
import { unknownKeyProblems } from '../../private/option-names';
import { wholeNumberProblem } from '../../private/validation';
import { ConsumerOptions } from '../consumer-options';
import { PoolSettingsPreset } from '../pool-settings-preset';

/** A count option with its allowed range: `['maxTasks', options.maxTasks, 1, ECS_MAX_TASKS_PER_SERVICE]`. */
export type CountOption = readonly [name: string, value: number | undefined, min: number, max: number];

/** Longest pool name: it becomes part of a consumer's path, which messages and Metadata keys carry. */
const POOL_NAME_MAX_LENGTH = 64;
const POOL_NAME = new RegExp(`^[A-Za-z0-9_-]{1,${POOL_NAME_MAX_LENGTH}}$`);

/** A consumer's path: the resource's (and container's), then `#<poolName>` for a named pool set. */
export function pooledPath(path: string, options: ConsumerOptions): string {
  return options.poolName === undefined ? path : `${path}#${options.poolName}`;
}

/** The preset a consumer's variables follow. */
export function presetOf(options: ConsumerOptions): PresetSpec {
  return (options.poolSettings ?? PoolSettingsPreset.generic())._spec;
}

/** The options struct of a kind of consumer. */
export type ConsumerOptionsStruct = 'EcsServiceConsumerOptions' | 'EcsTaskConsumerOptions' | 'LambdaFunctionConsumerOptions';

/** Everything wrong with a consumer's options, as messages; the preset is judged once the numbers are right. */
export function consumerOptionProblems(options: ConsumerOptions, struct: ConsumerOptionsStruct, counts: readonly CountOption[]): string[] {
  const problems: string[] = unknownKeyProblems(options, struct, 'option');
  for (const [name, value, min, max] of [
    ...counts,
    ['poolsPerProcess', options.poolsPerProcess, 1, MAX_COUNT],
    ['overflowPerPool', options.overflowPerPool, 0, MAX_POOL_SIZE],
    ['minIdleConnections', options.minIdleConnections, 0, MAX_POOL_SIZE],
  ] as const) {
    problems.push(...wholeNumberProblem(name, value, min, max));
  }
  if (options.poolName !== undefined && (typeof options.poolName !== 'string' || !POOL_NAME.test(options.poolName))) {
    problems.push(`poolName must be 1 to ${POOL_NAME_MAX_LENGTH} letters, digits, '-' or '_', got ${JSON.stringify(options.poolName)}`);
  }
  const timeout = options.acquireTimeout;
  if (timeout?.isUnresolved()) {
    problems.push('acquireTimeout must be a literal duration, got a token');
  } else if (timeout !== undefined && timeout.toMilliseconds() <= 0) {
    problems.push(`acquireTimeout must be longer than 0, got ${timeout.toHumanString()}`);
  }
  if (problems.length === 0) {
    problems.push(...presetProblems(presetOf(options), options.overflowPerPool ?? 0));
  }
  return problems;
}
