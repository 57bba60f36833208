import { Token } from 'aws-cdk-lib';

/** A whole number at least `min`; tokens are not numbers the budget can plan with. */
export function isWholeNumber(value: number, min: number): boolean {
  return !Token.isUnresolved(value) && Number.isInteger(value) && value >= min;
}

/** A number for a message: its value, or `a token`. */
export function describeNumber(value: number): string {
  return Token.isUnresolved(value) ? 'a token' : String(value);
}

/** `name must be a whole number of at least min, got value`, when it is not one; undefined passes. */
export function wholeNumberProblem(name: string, value: number | undefined, min: number): string[] {
  return value === undefined || isWholeNumber(value, min) ? [] : [`${name} must be a whole number of at least ${min}, got ${describeNumber(value)}`];
}
