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

/** Pseudo parameters are references to nothing in a template. */
const PSEUDO_PARAMETER = /^AWS::/;

/** Every reference inside `value`, in document order. */
export function referencesIn(value: unknown): Reference[] {
  const found: Reference[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (typeof v !== 'object' || v === null) {
      return;
    }
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      const [key] = keys;
      const arg = record[key];
      if (key === 'Ref' && typeof arg === 'string') {
        if (!PSEUDO_PARAMETER.test(arg)) found.push({ kind: 'resource', logicalId: arg });
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
            if (!names.includes(match[1]) && !PSEUDO_PARAMETER.test(logicalId)) {
              found.push({ kind: 'resource', logicalId, attribute });
            }
          }
        }
        if (variables) walk(variables);
        return;
      }
    }
    for (const key of keys) walk(record[key]);
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
      v.forEach(walk);
    } else if (typeof v === 'object' && v !== null) {
      Object.values(v).forEach(walk);
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

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}
