/**
 * Orders text as people read it, numbers by value (`Svc2` before `Svc10`), independent of the locale, so ledgers and
 * messages list the same things in the same order on every machine.
 */
export function compareText(a: string, b: string): number {
  // Text without digits is one chunk: the plain order, without splitting (most keys of a ledger, sorted by the thousand).
  if (!DIGIT.test(a) && !DIGIT.test(b)) return plainOrder(a, b);
  return compareChunks(chunksOf(a), chunksOf(b), a, b);
}

/**
 * A copy of `items` in compareText's order of `textOf(item)`. Each text is split into its runs once, not at every
 * comparison: a budget's thousand consumers are sorted by path several times over.
 */
export function sortByText<T>(items: readonly T[], textOf: (item: T) => string): T[] {
  const keyed = items.map((item) => {
    const text = textOf(item);
    return { item, text, chunks: chunksOf(text) };
  });
  return keyed.sort((x, y) => compareChunks(x.chunks, y.chunks, x.text, y.text)).map((k) => k.item);
}

function chunksOf(text: string): string[] {
  return text.match(CHUNKS) ?? [];
}

/** compareText of `a` and `b`, given their runs. */
function compareChunks(left: readonly string[], right: readonly string[], a: string, b: string): number {
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareChunk(left[i], right[i]);
    if (order !== 0) return order;
  }
  return left.length - right.length || plainOrder(a, b);
}

const DIGIT = /\d/;

/**
 * `items` in compareText's order: the same array, sorted in place. Without a digit among them that is the plain order,
 * which the default sort gives without calling back; with digits, each is split into its runs once (sortByText). Every
 * object of a ledger has its keys sorted (sortKeysDeep), and most are in order already.
 */
export function sortText<T extends string>(items: T[]): T[] {
  if (items.some((item) => DIGIT.test(item))) {
    const sorted = sortByText(items, (item) => item);
    sorted.forEach((item, i) => { items[i] = item; });
    return items;
  }
  // Most are in order already (keys written in order): checking is cheaper than sorting, which copies them.
  for (let i = 1; i < items.length; i++) {
    if (items[i - 1] > items[i]) return items.sort();
  }
  return items;
}

/** Runs of digits and runs of anything else. */
const CHUNKS = /\d+|\D+/g;

function compareChunk(a: string, b: string): number {
  if (/^\d/.test(a) && /^\d/.test(b)) {
    // By value without converting: any length of digits stays exact.
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    return x.length - y.length || plainOrder(x, y) || plainOrder(a, b);
  }
  return plainOrder(a, b);
}

function plainOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `1 task`, `3 tasks`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** A percentage with at most one decimal: `92.5 %`, `90 %`. */
export function percent(value: number): string {
  return `${Math.round(value * 10) / 10} %`;
}

/** `a`, `a and b`, `a, b, and c` (the serial comma keeps items that contain commas apart). */
export function listOf(items: readonly string[], conjunction: 'and' | 'or'): string {
  if (items.length <= 2) {
    return items.join(` ${conjunction} `);
  }
  return `${items.slice(0, -1).join(', ')}, ${conjunction} ${items[items.length - 1]}`;
}

/**
 * How far (in edits) a mistyped name may be from the one it suggests, per four characters of what was typed, at least
 * one: `max-utilisation` is 1 from `max-utilization`; `max` is 3 from `base`, too far for three characters.
 */
const TYPO_CHARACTERS_PER_EDIT = 4;

/** The candidate fewest edits from `name` (a mistyped option), if within the allowed edits (TYPO_CHARACTERS_PER_EDIT). */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const allowed = Math.max(1, Math.floor(name.length / TYPO_CHARACTERS_PER_EDIT));
  const closest = candidates.map((candidate) => ({ candidate, edits: editDistance(name, candidate) })).sort((a, b) => a.edits - b.edits)[0];
  return closest && closest.edits <= allowed ? closest.candidate : undefined;
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
