/** How far (in edits) a mistyped option may be from the one it suggests: `--max-utilisation` is 1 from `--max-utilization`. */
const MAX_OPTION_TYPO_EDITS = 3;

/**
 * parseArgs's message, or for an unknown option ours: node's adds advice on positional arguments that start with a dash,
 * with a quote left open, where a mistyped option is the likely cause.
 */
export function optionError(error: Error & { code?: string }, argv: readonly string[], options: readonly string[]): string {
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return error.message;
  const given = argv.find((arg) => arg.startsWith('-') && error.message.includes(`'${arg.split('=')[0]}'`))?.split('=')[0];
  if (given === undefined) return error.message;
  const name = given.replace(/^-+/, '');
  const nearest = options.map((option) => ({ option, edits: editDistance(name, option) })).sort((a, b) => a.edits - b.edits)[0];
  return `unknown option '${given}'${nearest && nearest.edits <= MAX_OPTION_TYPO_EDITS ? `; did you mean --${nearest.option}?` : '.'}`;
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
