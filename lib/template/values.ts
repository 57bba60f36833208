/**
 * Values as CloudFormation templates carry them. The readers below take a property bag (an object of
 * properties, from a synthesized template or from an L1 resolved before synthesis) and never care about
 * the case of its keys: templates write `MaximumPercent` where a resolved L1 writes `maximumPercent`, and
 * `DBInstanceClass` where it writes `dbInstanceClass`. No aws-cdk-lib import: the CLI uses this too.
 */

import { alternatives, ifArguments, NO_VALUE, soleKey } from './intrinsics';

/** A value read from a property: absent, known, or a token CloudFormation only knows at deploy time. */
export type TemplateValue<T> =
  | { readonly kind: 'absent' }
  | { readonly kind: 'known'; readonly value: T }
  | { readonly kind: 'token' };

export const ABSENT = { kind: 'absent' } as const;
export const TOKEN = { kind: 'token' } as const;

const NON_ASCII = /[\u0080-\uffff]/;

/** True for a CloudFormation intrinsic such as `{ Ref: ... }` or `{ 'Fn::GetAtt': ... }`. */
export function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const key = soleKey(value);
  return key !== undefined && (key === 'Ref' || key.startsWith('Fn::'));
}

/**
 * A property of a bag, whatever the case of its key; undefined when the bag is not an object. A bag written as an
 * `Fn::If` gives the property of each branch, as an `Fn::If` of the same condition, so a value read through it is
 * never mistaken for an absent one.
 */
export function field(bag: unknown, name: string): unknown {
  const branches = ifArguments(bag);
  if (branches) {
    const [condition, whenTrue, whenFalse] = branches;
    const [a, b] = [field(whenTrue, name), field(whenFalse, name)];
    return a === undefined && b === undefined ? undefined : { 'Fn::If': [condition, a ?? NO_VALUE, b ?? NO_VALUE] };
  }
  if (typeof bag !== 'object' || bag === null || Array.isArray(bag) || isIntrinsic(bag)) {
    return undefined;
  }
  const record = bag as Record<string, unknown>;
  if (name in record) {
    return record[name];
  }
  // Most fields asked for are absent: keys of another length are passed over without lowering their case, but for a
  // shorter one with a character outside ASCII (lowering 'İ' gives two characters).
  const wanted = name.toLowerCase();
  for (const key in record) {
    const comparable = key.length === wanted.length || (key.length < wanted.length && NON_ASCII.test(key));
    if (comparable && Object.prototype.hasOwnProperty.call(record, key) && key.toLowerCase() === wanted) return record[key];
  }
  return undefined;
}

/** A number, from a number or a decimal string as CloudFormation writes them (`'100'`, `'0.5'`). */
export function numberValue(value: unknown): TemplateValue<number> {
  if (value === undefined || value === null) {
    return ABSENT;
  }
  if (typeof value === 'number') {
    return { kind: 'known', value };
  }
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) {
    return { kind: 'known', value: Number(value) };
  }
  return TOKEN;
}

/** A string; anything else rendered (an intrinsic) is a token. */
export function stringValue(value: unknown): TemplateValue<string> {
  if (value === undefined || value === null) {
    return ABSENT;
  }
  return typeof value === 'string' ? { kind: 'known', value } : TOKEN;
}

/** An object whose fields may still be intrinsics; a whole-object intrinsic is a token. */
export function objectValue(value: unknown): TemplateValue<Record<string, unknown>> {
  if (value === undefined || value === null) {
    return ABSENT;
  }
  return typeof value === 'object' && !Array.isArray(value) && !isIntrinsic(value)
    ? { kind: 'known', value: value as Record<string, unknown> }
    : TOKEN;
}

/** A property of a bag read as an object (absent, known or token), for nested settings. */
export function objectField(bag: unknown, name: string): TemplateValue<Record<string, unknown>> {
  return objectValue(field(bag, name));
}

/** A value as it appears in a message: `'1e3'`, `150`, `a token`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return `'${value}'`;
  }
  if (typeof value === 'number') {
    return String(value);
  }
  return isIntrinsic(value) ? 'a token' : JSON.stringify(value);
}

/** A whole number in [min, max]: known, or the reason it is not one. */
export function wholeInRange(value: unknown, min: number, max: number): TemplateValue<number> | { readonly kind: 'invalid' } {
  const parsed = numberValue(value);
  if (parsed.kind !== 'known') {
    // A string that is not a decimal number (`'1e3'`, `'ten'`) is written wrong, not unknown until deploy.
    return parsed.kind === 'token' && typeof value === 'string' ? { kind: 'invalid' } : parsed;
  }
  return Number.isInteger(parsed.value) && parsed.value >= min && parsed.value <= max ? parsed : { kind: 'invalid' };
}

/**
 * A count read whichever way the template's conditions go: the largest whole number of its branches (an
 * `Fn::If` of 60 and 4 deploys 60 when its condition holds), whether a branch leaves it out, whether one is a
 * token, and the first branch that is not a whole number in [min, max].
 */
export interface CountAlternatives {
  readonly largest?: number;
  readonly absent: boolean;
  readonly token: boolean;
  readonly invalid?: { readonly value: unknown };
}

export function countAlternatives(value: unknown, min: number, max: number): CountAlternatives {
  let largest: number | undefined;
  let absent = false;
  let token = false;
  let invalid: { value: unknown } | undefined;
  for (const branch of alternatives(value)) {
    const read = wholeInRange(branch, min, max);
    if (read.kind === 'known') largest = Math.max(largest ?? read.value, read.value);
    else if (read.kind === 'absent') absent = true;
    else if (read.kind === 'token') token = true;
    else invalid ??= { value: branch };
  }
  return { largest, absent, token, invalid };
}
