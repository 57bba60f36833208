/**
 * How far (in edits) a mistyped option may be from the one it suggests, per four characters of what was typed, at least
 * one: `--max-utilisation` is 1 from `--max-utilization`; `--max` is 3 from `--base`, too far for three characters.
 */
const TYPO_CHARACTERS_PER_EDIT = 4;

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
  const near = (candidates: readonly string[]) => nearest(name, candidates);
  const own = near(options);
  if (own !== undefined) return `unknown option '${given}'; did you mean --${own}?`;
  const other = near([...elsewhere.keys()]);
  return `unknown option '${given}'${other === undefined ? '.' : `; --${other} is an option of ${elsewhere.get(other)} only.`}`;
}

/** The candidate fewest edits from `name`, if within the allowed edits (TYPO_CHARACTERS_PER_EDIT). */
function nearest(name: string, candidates: readonly string[]): string | undefined {
  const allowed = Math.max(1, Math.floor(name.length / TYPO_CHARACTERS_PER_EDIT));
  const closest = candidates.map((option) => ({ option, edits: editDistance(name, option) })).sort((a, b) => a.edits - b.edits)[0];
  return closest && closest.edits <= allowed ? closest.option : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
