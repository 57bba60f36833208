/*
 * Names in output. A construct path, a consumer, allocation, reservation or stack name is text anyone who can edit an app
 * (or a deployed template a ledger is read back from) chooses, and CDK ids allow almost any character. Each output
 * escapes it where it is interpolated, for what that output would otherwise obey: a terminal its control sequences,
 * Markdown its markup. The data itself is never rewritten.
 */

/**
 * What a terminal, a log viewer or an editor acts on instead of showing, beside the C0 controls (ESC starts colour,
 * cursor and title sequences; CR overwrites a line; BS erases): DEL, the C1 controls (U+009B is a one-character
 * ESC [), the bidi marks, embeddings, overrides and isolates that reorder what is shown (Trojan Source), and the line
 * and paragraph separators.
 */
const BEYOND_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]`, 'g');
/** What JSON.stringify leaves as it is in a string: it escapes the C0 controls itself. */
const RAW_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'g');

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\u202e`: a character as a JavaScript or JSON string literal writes it. */
function unicodeEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `\n`, `\x1b`, `\u202e`: a character written out, as a JavaScript string literal would write it. */
function visible(character: string): string {
  const code = character.charCodeAt(0);
  return NAMED[character] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : unicodeEscape(character));
}

/**
 * A name or a one-line message for a terminal: every control and bidi character written out (`\x1b`, `\n`,
 * `\u202e`), so it prints as one line of what it says. Backslashes stay as they are, so the result is unchanged by
 * escaping it again (a message built from escaped names may be escaped whole).
 */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Text of several lines for a terminal (an error message with a list): as forTerminal, keeping its line breaks. */
export function forTerminalLines(text: string): string {
  return text.split('\n').map(forTerminal).join('\n');
}

/**
 * JSON text (JSON.stringify's) safe to print: it escapes C0 controls but writes DEL, C1 and bidi characters as they
 * are. Written as `\u009b` instead, a parser reads back the very same string, so the data stays exact.
 */
export function forJson(json: string): string {
  return json.replace(RAW_IN_JSON, unicodeEscape);
}

/** ASCII punctuation that starts markup in running text, escaped with a backslash; `_` apart (forMarkdown). */
const MARKUP = /[\\`*[\]<>&|~]/g;

/**
 * What GitHub links in the rendered text, where Markdown escapes no longer count: @mentions, #references, bare URLs
 * and e-mail addresses. A zero-width space after the `@`, the `#`, the scheme's colon or the `www` breaks the pattern
 * and shows nothing.
 */
const LINKED = /[@#]|:(?=\/\/)|www(?=\.)/gi;
const ZERO_WIDTH_SPACE = '&#8203;';

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * Plain text for Markdown, in running text or a table cell: a name, or a message or sentence with names in it. It
 * shows as it reads, on one line, opening no HTML, link, mention, code span or emphasis, and never ending a table cell.
 * Text without markup characters is unchanged.
 */
export function forMarkdown(text: string): string {
  return forTerminal(text)
    .replace(MARKUP, '\\$&')
    // Only an `_` between two letters or digits can neither open nor close emphasis: `max_connections` stays as written.
    .replace(/_/g, (underscore, at: number, all: string) => (LETTER_OR_DIGIT.test(all[at - 1] ?? '') && LETTER_OR_DIGIT.test(all[at + 1] ?? '') ? underscore : '\\_'))
    .replace(LINKED, `$&${ZERO_WIDTH_SPACE}`);
}

/**
 * A name as a Markdown code span, in which nothing is markup and nothing is linked. The fence is one backtick longer
 * than the longest run in the name, and padded with a space when the name starts or ends with a backtick or a space
 * (CommonMark strips one space each side). A `|` ends a table cell even in a code span: `inTable` escapes it, and
 * GitHub drops the backslash before it reads the span.
 */
export function markdownCode(text: string, options: { readonly inTable?: boolean } = {}): string {
  const content = forTerminal(text);
  const fence = '`'.repeat(Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const padding = /^$|^[ `]|[ `]$/.test(content) ? ' ' : '';
  const span = `${fence}${padding}${content}${padding}${fence}`;
  return options.inTable ? span.replace(/\|/g, '\\|') : span;
}
