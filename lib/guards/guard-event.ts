/**
 * What the deploy-time guards share: the custom resource event the `custom-resources` Provider passes to its
 * onEvent handler, the answer it expects, and the reading of properties. CloudFormation passes every property value
 * as a string (lists as arrays of strings), so numbers are parsed and checked here, once, with an error that names the
 * property and the value: the error message is all the user sees of a failed guard, in the stack's events.
 */

/** The properties of a custom resource as CloudFormation sends them. */
export type GuardProperties = Readonly<Record<string, unknown>>;

/** A CloudFormation custom resource event, as far as the guards read it. */
export type GuardEvent = (
  | { readonly RequestType: 'Create'; readonly ResourceProperties: GuardProperties }
  | {
      readonly RequestType: 'Update';
      readonly PhysicalResourceId: string;
      readonly ResourceProperties: GuardProperties;
      readonly OldResourceProperties: GuardProperties;
    }
  | {
      readonly RequestType: 'Delete';
      readonly PhysicalResourceId: string;
      readonly ResourceProperties: GuardProperties;
    }
) & {
  /** The ARN of the stack the guard is in; CloudFormation always sends it. */
  readonly StackId?: string;
};

/** What an onEvent handler returns; the Provider puts Data into the resource's attributes. */
export interface GuardResult {
  readonly PhysicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/** A value as it appears in an error: quoted and escaped, so an empty string or stray whitespace shows. */
export function shown(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Reads a property that must be a non-empty string. */
export function requiredString(properties: GuardProperties, name: string, guard: string): string {
  const value = properties[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${guard}: property ${name} must be a non-empty string, got ${shown(value)}.`);
  }
  return value;
}

/** Reads a property that may be absent; CloudFormation cannot drop an optional value, so '' counts as absent. */
export function optionalString(properties: GuardProperties, name: string, guard: string): string | undefined {
  const value = properties[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`${guard}: property ${name} must be a string, got ${shown(value)}.`);
  return value;
}

/** Reads a property that must be a list of non-empty strings; absent counts as empty. */
export function stringList(properties: GuardProperties, name: string, guard: string): string[] {
  const value = properties[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    throw new Error(`${guard}: property ${name} must be a list of non-empty strings, got ${shown(value)}.`);
  }
  return value;
}

/**
 * Reads a property that must be a whole number of connections. Only plain digits pass: Number() would also accept
 * '', ' 12', '1e3' and '0x10', none of which the constructs write.
 */
export function wholeNumber(properties: GuardProperties, name: string, guard: string): number {
  const value = properties[name];
  const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new Error(
      `${guard}: property ${name} must be a whole number of connections (0 or more), got ${shown(value)}.`,
    );
  }
  return parsed;
}
