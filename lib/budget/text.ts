/**
 * Orders text as people read it, numbers by value (`Svc2` before `Svc10`), independent of the locale, so ledgers and
 * messages list the same things in the same order on every machine.
 */
export function compareText(a: string, b: string): number {
  // Text without digits is one chunk: the plain order, without splitting (most keys of a ledger, sorted by the thousand).
  if (!DIGIT.test(a) && !DIGIT.test(b)) return plainOrder(a, b);
  const left = a.match(CHUNKS) ?? [];
  const right = b.match(CHUNKS) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = compareChunk(left[i], right[i]);
    if (order !== 0) return order;
  }
  return left.length - right.length || plainOrder(a, b);
}

const DIGIT = /\d/;

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
