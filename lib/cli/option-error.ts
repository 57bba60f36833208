import { nearestName } from '../budget';

/**
 * parseArgs's message on one line, or for an unknown option ours: node's adds advice on positional arguments that start with a dash,
 * with a quote left open, where a mistyped option is the likely cause. The option suggested is one `options` holds (the
 * command's); one near it that only other commands take is named with them (`elsewhere`: option → the commands).
 */
export function optionError(error: Error & { code?: string }, options: readonly string[], elsewhere: ReadonlyMap<string, string> = new Map()): string {
  const given = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '([^']+)'/.exec(error.message)?.[1] : undefined;
  // Node's other messages come in lines, which a one-line message shows as escapes.
  if (given === undefined) return error.message.replace(/\n/g, ' ');
  const name = given.replace(/^-+/, '');
  const near = (candidates: readonly string[]) => nearestName(name, candidates);
  const own = near(options);
  if (own !== undefined) return `unknown option '${given}'; did you mean --${own}?`;
  const other = near([...elsewhere.keys()]);
  return `unknown option '${given}'${other === undefined ? '.' : `; --${other} is an option of ${elsewhere.get(other)} only.`}`;
}
