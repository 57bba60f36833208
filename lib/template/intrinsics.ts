/**
 * The references a CloudFormation value makes: `{ Ref }`, `{ Fn::GetAtt }`, the `${...}` of `Fn::Sub`, and the
 * cross-stack forms (`Fn::ImportValue`, `Fn::GetStackOutput`), found anywhere inside it. Pure JSON walking,
 * shared by the template reader and the synth-time gatherers.
 */

/** One reference found in a value. */
export type Reference =
  | { readonly kind: 'resource'; readonly logicalId: string; readonly attribute?: string }
  | { readonly kind: 'import'; readonly exportName: unknown }
  | { readonly kind: 'stack-output'; readonly stackName: unknown; readonly outputName: unknown };

/** Pseudo parameters (`AWS::Region`) are references to nothing in a template. */
const PSEUDO_PARAMETER_PREFIX = 'AWS::';

/** Whether a name is a pseudo parameter's, tested without a regular expression: a template has a reference in every other value. */
function isPseudoParameter(name: string): boolean {
  return name.startsWith(PSEUDO_PARAMETER_PREFIX);
}

/** Every reference inside `value`, in document order. */
export function referencesIn(value: unknown): Reference[] {
  const found: Reference[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item);
      return;
    }
    if (typeof v !== 'object' || v === null) {
      return;
    }
    const record = v as Record<string, unknown>;
    const key = soleKey(record);
    if (key !== undefined) {
      const arg = record[key];
      if (key === 'Ref' && typeof arg === 'string') {
        if (!isPseudoParameter(arg)) found.push({ kind: 'resource', logicalId: arg });
        return;
      }
      if (key === 'Fn::GetAtt') {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : typeof arg === 'string' ? splitOnce(arg, '.') : [];
        if (typeof logicalId === 'string') {
          found.push({ kind: 'resource', logicalId, attribute: typeof attribute === 'string' ? attribute : undefined });
          return;
        }
      }
      if (key === 'Fn::ImportValue') {
        found.push({ kind: 'import', exportName: arg });
        return;
      }
      if (key === 'Fn::GetStackOutput' && typeof arg === 'object' && arg !== null) {
        const output = arg as Record<string, unknown>;
        found.push({ kind: 'stack-output', stackName: output.StackName, outputName: output.OutputName });
        return;
      }
      if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(arg) ? arg : [arg, undefined];
        if (typeof text === 'string') {
          const names = variables && typeof variables === 'object' ? Object.keys(variables as object) : [];
          for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const [logicalId, attribute] = splitOnce(match[1], '.');
            if (!names.includes(match[1]) && !isPseudoParameter(logicalId)) {
              found.push({ kind: 'resource', logicalId, attribute });
            }
          }
        }
        if (variables) walk(variables);
        return;
      }
    }
    for (const k in record) {
      if (Object.prototype.hasOwnProperty.call(record, k)) walk(record[k]);
    }
  };
  walk(value);
  return found;
}

/** Every literal string inside `value` (intrinsic names excluded). */
export function literalsIn(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      found.push(v);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item);
    } else if (typeof v === 'object' && v !== null) {
      for (const key in v) {
        if (Object.prototype.hasOwnProperty.call(v, key)) walk((v as Record<string, unknown>)[key]);
      }
    }
  };
  walk(value);
  return found;
}

/** The whole value when it is a plain string; `Fn::Join` of plain strings joined; undefined otherwise. */
export function literalText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1].map(literalText);
      return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
    }
  }
  return undefined;
}

/** A name (a task definition's family) as a whole word inside larger text: `task-definition/nightly-job:3`. */
export function wordPattern(name: string): RegExp {
  return new RegExp(`(^|[^A-Za-z0-9_-])${asRegExpText(name)}($|[^A-Za-z0-9_-])`);
}

/** An environment variable's name as a whole word inside larger text: a container override's `"Name":"DB_POOL_MAX"`. */
export function variableNamePattern(name: string): RegExp {
  return new RegExp(`(^|[^A-Za-z0-9_])${asRegExpText(name)}($|[^A-Za-z0-9_])`);
}

/** Text matched as it is: a name read from a template or a record may hold any character, `(` and `+` too. */
function asRegExpText(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Stands for a part of a text known only at deploy; no template text contains it. */
export const PLACEHOLDER = '\u0000';

/**
 * A string value with every part known only at deploy replaced by PLACEHOLDER: a plain string, `Fn::Join`, or
 * `Fn::Sub` without a variable map; any other intrinsic is one PLACEHOLDER as a whole; undefined for what is not text.
 */
export function textWithPlaceholders(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const key = soleKey(value);
  if (key === undefined) return undefined;
  const record = value as Record<string, unknown>;
  const join = record['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return join[1].map((part) => textWithPlaceholders(part) ?? PLACEHOLDER).join(join[0]);
  }
  const sub = record['Fn::Sub'];
  if (typeof sub === 'string') return sub.replace(/\$\{[^!}][^}]*\}/g, PLACEHOLDER);
  return key === 'Ref' || key.startsWith('Fn::') ? PLACEHOLDER : undefined;
}

/**
 * The key of an object that has exactly one (own, enumerable), as `Ref` or `Fn::If` objects do; undefined otherwise.
 * Counted without listing the keys: the readers ask this of every object of a thousand-consumer app's templates, and
 * the lists were 34 of the 262 MB a read of the 1,000-consumer bench app allocated.
 */
export function soleKey(value: object): string | undefined {
  let sole: string | undefined;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (sole !== undefined) return undefined;
    sole = key;
  }
  return sole;
}

/** The condition and branches of an `Fn::If`; undefined for anything else. */
export function ifArguments(value: unknown): readonly [unknown, unknown, unknown] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const args = (value as Record<string, unknown>)['Fn::If'];
  return Array.isArray(args) && args.length === 3 && soleKey(value) === 'Fn::If' ? [args[0], args[1], args[2]] : undefined;
}

/** `{ Ref: 'AWS::NoValue' }`: the property is left out. */
export function isNoValue(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).Ref === 'AWS::NoValue' && soleKey(value) === 'Ref';
}

/** Stands for a property an `Fn::If` branch leaves out. */
export const NO_VALUE = { Ref: 'AWS::NoValue' } as const;

/**
 * The values a property may deploy with, whichever way the template's conditions go: each branch of an `Fn::If`
 * (nested ones included), and undefined for a branch that leaves the property out (`AWS::NoValue`).
 */
export function alternatives(value: unknown): unknown[] {
  const args = ifArguments(value);
  if (args) return [...alternatives(args[1]), ...alternatives(args[2])];
  return [isNoValue(value) ? undefined : value];
}

/** The items a list property may hold, and the values that make a list only at deploy (a List parameter, `Fn::Split`). */
export interface ListItems {
  /** Every item of every branch: the union, which is the worst case for who may connect. */
  readonly items: readonly unknown[];
  /** Branches that are not written as a list. */
  readonly computed: readonly unknown[];
}

/** A list property read whichever way its conditions go: the items of every branch, and what is not a list. */
export function listItems(value: unknown): ListItems {
  const items: unknown[] = [];
  const computed: unknown[] = [];
  for (const branch of alternatives(value)) {
    if (branch === undefined || branch === null) continue;
    if (!Array.isArray(branch)) {
      computed.push(branch);
      continue;
    }
    for (const element of branch) {
      if (ifArguments(element)) items.push(...alternatives(element).filter((item) => item !== undefined && item !== null));
      else if (element !== undefined && element !== null && !isNoValue(element)) items.push(element);
    }
  }
  return { items, computed };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}
