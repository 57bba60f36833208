import { Token } from 'aws-cdk-lib';

/** A whole number in [min, max]; tokens are not numbers the budget can plan with. */
export function isWholeNumber(value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): boolean {
  return !Token.isUnresolved(value) && Number.isInteger(value) && value >= min && value <= max;
}

/** A number for a message: its value, or `a token`. */
export function describeNumber(value: unknown): string {
  if (typeof value === 'number' && Token.isUnresolved(value)) return 'a token';
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** `name must be a whole number from min to max, got value`, when it is not one; undefined passes. */
export function wholeNumberProblem(name: string, value: number | undefined, min: number, max?: number): string[] {
  if (value === undefined || isWholeNumber(value, min, max)) return [];
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  return [`${name} must be a whole number ${range}, got ${describeNumber(value)}`];
}

/** A construct's path for messages, or what the value is when it is not a construct. */
export function pathOf(value: unknown): string {
  return (value as { node?: { path?: string } })?.node?.path ?? String(value);
}
