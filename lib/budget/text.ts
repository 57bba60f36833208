/** Locale-independent ordering, so sorted output is the same on every machine. */
export function compareText(a: string, b: string): number {
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
