/**
 * `cdk diff` prints each element of an `Fn::Join` list on a line of its own, and a changed element whole. A long text
 * the library writes into a template (a dashboard's JSON body) is split into elements short enough to review there.
 */

/**
 * The most characters an element takes as `cdk diff` prints it: JSON-escaped and quoted. With the diff's indent and
 * marker (about 20 characters), every line stays under 300 characters, as the budget's own lines do.
 */
export const JOIN_ELEMENT_MAX_CHARS = 240;

/**
 * A value with each text of an `Fn::Join` with an empty delimiter (or a text alone) split into elements of at most
 * `maxChars` as JSON-escaped: after each escaped newline (`\\n`, a row of a Markdown table in a JSON text), so a changed
 * row changes its element only; a longer line after a comma in its element's second half. The joined text is the same.
 * Anything else is returned as it is.
 */
export function splitJoinedText(value: unknown, maxChars = JOIN_ELEMENT_MAX_CHARS): unknown {
  if (typeof value === 'string') {
    const pieces = splitText(value, maxChars);
    return pieces.length > 1 ? { 'Fn::Join': ['', pieces] } : value;
  }
  const join = isObject(value) && Object.keys(value).length === 1 ? value['Fn::Join'] : undefined;
  if (!Array.isArray(join) || join.length !== 2 || join[0] !== '' || !Array.isArray(join[1])) return value;
  return { 'Fn::Join': ['', join[1].flatMap((part: unknown) => (typeof part === 'string' ? splitText(part, maxChars) : [part]))] };
}

/** The text in pieces of at most `maxChars` JSON-escaped characters (quotes included), each escaped newline ending one. */
export function splitText(text: string, maxChars: number): string[] {
  return text.split(/(?<=\\n)/).flatMap((line) => splitLine(line, maxChars));
}

function splitLine(text: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  let escaped = 2;
  let lastComma = -1;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A surrogate pair stays in one piece: alone, each half would be written as an escape of its own.
    const width = unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length ? 2 : 1;
    const cost = JSON.stringify(text.slice(i, i + width)).length - 2;
    if (escaped + cost > maxChars && i > start) {
      const cut = lastComma >= 0 && lastComma + 1 - start >= (i - start) / 2 ? lastComma + 1 : i;
      pieces.push(text.slice(start, cut));
      start = cut;
      const comma = text.lastIndexOf(',', i - 1);
      lastComma = comma >= start ? comma : -1;
      escaped = 2 + JSON.stringify(text.slice(start, i)).length - 2;
    }
    if (text[i] === ',') lastComma = i;
    escaped += cost;
    i += width - 1;
  }
  pieces.push(text.slice(start));
  return pieces;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
