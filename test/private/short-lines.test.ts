import * as fc from 'fast-check';
import { JOIN_ELEMENT_MAX_CHARS, splitJoinedText, splitText } from '../../lib/private/short-lines';

const escapedLength = (piece: string) => JSON.stringify(piece).length;

describe('splitText', () => {
  test.each<[string, string, number, string[]]>([
    ['a short text stays whole', 'abc', 20, ['abc']],
    ['an escaped newline ends a piece', 'row 1\\nrow 2\\n', 240, ['row 1\\n', 'row 2\\n']],
    ['a long line is cut after a comma in its second half', 'aaaa,bbbb,cccc', 12, ['aaaa,bbbb,', 'cccc']],
    ['a comma in the first half is passed over for a full piece', 'a,bbbbbbbbbbbbbbbb', 12, ['a,bbbbbbbb', 'bbbbbbbb']],
    ['quotes count as escaped', '""""""', 8, ['"""', '"""']],
  ])('%s', (_, text, max, pieces) => {
    expect(splitText(text, max)).toEqual(pieces);
  });

  test('a surrogate pair is never cut in two', () => {
    expect(splitText('ab😀😀', 6)).toEqual(['ab😀', '😀']);
  });

  test('any text: the pieces join to it, each within the bound but where one character alone is longer', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 3, max: 300 }), (text, max) => {
      const pieces = splitText(text, max);
      expect(pieces.join('')).toBe(text);
      pieces.forEach((piece, i) => {
        if ([...piece].length > 1) expect(escapedLength(piece)).toBeLessThanOrEqual(max);
        // No pair is cut: a piece ending in a high surrogate is not followed by a low one.
        if (i + 1 < pieces.length) expect(/[\ud800-\udbff]$/.test(piece) && /^[\udc00-\udfff]/.test(pieces[i + 1])).toBe(false);
      });
    }));
  });
});

describe('splitJoinedText', () => {
  test('splits the texts of an Fn::Join with an empty delimiter, keeping its references in place', () => {
    const long = `${'x'.repeat(300)},${'y'.repeat(10)}`;
    const split = splitJoinedText({ 'Fn::Join': ['', [long, { Ref: 'AWS::Region' }, 'end']] }) as { 'Fn::Join': [string, unknown[]] };
    expect(split['Fn::Join'][1].filter((p) => typeof p !== 'string')).toEqual([{ Ref: 'AWS::Region' }]);
    expect(split['Fn::Join'][1].filter((p) => typeof p === 'string').every((p) => escapedLength(p as string) <= JOIN_ELEMENT_MAX_CHARS)).toBe(true);
    expect(split['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<region>')).join('')).toBe(`${long}<region>end`);
  });

  test.each<[string, unknown]>([
    ['a join with a delimiter', { 'Fn::Join': [',', ['a'.repeat(500)]] }],
    ['another function', { 'Fn::Sub': 'a'.repeat(500) }],
    ['a short text', 'abc'],
    ['a number', 3],
  ])('leaves %s as it is', (_, value) => {
    expect(splitJoinedText(value)).toBe(value);
  });

  test('a long text alone becomes a join', () => {
    expect(splitJoinedText('a\\nb'.repeat(100), 40)).toEqual({ 'Fn::Join': ['', ['a\\n', ...Array(99).fill('ba\\n'), 'b']] });
  });
});
