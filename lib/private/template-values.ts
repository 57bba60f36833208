import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A value read from an L1 property: absent, known, or a token CloudFormation only knows at deploy time. */
export type TemplateValue<T> =
  | { readonly kind: 'absent' }
  | { readonly kind: 'known'; readonly value: T }
  | { readonly kind: 'token' };

const ABSENT = { kind: 'absent' } as const;
const TOKEN = { kind: 'token' } as const;

/** Resolves an L1 property the way the template will render it. */
export function resolved(l1: IConstruct, value: unknown): unknown {
  return value === undefined ? undefined : Stack.of(l1).resolve(value);
}

/** True for a rendered CloudFormation intrinsic such as `{ Ref: ... }` or `{ 'Fn::GetAtt': ... }`. */
function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** A number, from a number or a numeric string (parameter group values are strings). */
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

/** Path of the construct that owns an L1 (the L2 around it), for messages. */
export function ownerPath(l1: IConstruct): string {
  return l1.node.scope?.node.path ?? l1.node.path;
}
