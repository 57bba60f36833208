import { Change, LedgerProblemJson } from '../../budget';

/** Output formats of every command; the record keeps the list and the renderers exhaustive. */
export const FORMATS = { text: true, markdown: true, json: true } satisfies Record<Format, true>;
export type Format = 'text' | 'markdown' | 'json';

/** The mark of a budget or consumer's change, as `infracost diff` and cdk diff print them. */
export const CHANGE_MARKERS = { added: '+', removed: '-', changed: '~', unchanged: ' ' } as const;

/** How the text renderer may style its output. */
export interface TextOptions {
  /** ANSI colour: only for a terminal, and never with NO_COLOR or FORCE_COLOR=0. */
  readonly color: boolean;
}

export type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green';
const ANSI: Record<Style, [string, string]> = {
  bold: ['\u001b[1m', '\u001b[22m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  red: ['\u001b[31m', '\u001b[39m'],
  yellow: ['\u001b[33m', '\u001b[39m'],
  green: ['\u001b[32m', '\u001b[39m'],
};

/** Wraps text in an ANSI style when colour is on. */
export function styler(options: TextOptions): (style: Style, text: string) => string {
  return (style, text) => (options.color ? `${ANSI[style][0]}${text}${ANSI[style][1]}` : text);
}

/** `+40`, `-12`, `0`. */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : `${n}`;
}

/** `10 → 12`, or `12` when unchanged; `none` for a side that does not exist. */
export function arrow<T>(change: Change<T>, show: (value: T) => string = String): string {
  const side = (value: T | null) => (value === null ? 'none' : show(value));
  return change.before === change.after ? side(change.after) : `${side(change.before)} → ${side(change.after)}`;
}

/** A horizontal bar of `fraction` (clamped to 0..1) in `width` cells. */
export function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/**
 * Lays out rows as columns two spaces apart, `rightAligned` naming the right-aligned ones. Widths count
 * UTF-16 units without ANSI escapes, which is one per cell for every character the renderers use.
 */
export function columns(rows: ReadonlyArray<readonly string[]>, rightAligned: ReadonlySet<number>): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  return rows.map((row) => row.map((cell, i) => {
    const padding = ' '.repeat(widths[i] - visibleLength(cell));
    if (i === row.length - 1 && !rightAligned.has(i)) {
      return cell;
    }
    return rightAligned.has(i) ? `${padding}${cell}` : `${cell}${padding}`;
  }).join('  ').trimEnd());
}

/** Text length without ANSI escapes. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/**
 * Resolved problems as a diff lists them: one line per level, ID and subject, with how many there were. A budget's
 * problems about its consumers name the budget as their subject (a base whose consumers' stack is not deployed yet has
 * one CB-LEDGER-DIFFERS per consumer), and a line repeated word for word says nothing more.
 */
export function resolvedLines(problems: readonly LedgerProblemJson[]): Array<{ readonly problem: LedgerProblemJson; readonly count: number }> {
  const lines = new Map<string, { problem: LedgerProblemJson; count: number }>();
  for (const problem of problems) {
    const key = JSON.stringify([problem.level, problem.id, problem.subject]);
    const line = lines.get(key);
    if (line) line.count += 1;
    else lines.set(key, { problem, count: 1 });
  }
  return [...lines.values()];
}

/** ` (3 of them)` after a line that stands for several, nothing after one that stands for one. */
export function timesSuffix(count: number): string {
  return count > 1 ? ` (${count} of them)` : '';
}
