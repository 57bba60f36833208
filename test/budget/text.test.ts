import * as fc from 'fast-check';
import { compareText, sortByText, sortText } from '../../lib/budget/text';

describe('compareText orders names as people read them', () => {
  test.each([
    [['Svc10', 'Svc2', 'Svc1'], ['Svc1', 'Svc2', 'Svc10']],
    [['Services/Api10/Service', 'Services/Api9/Service'], ['Services/Api9/Service', 'Services/Api10/Service']],
    [['b', 'a10', 'a9b', 'a9'], ['a9', 'a9b', 'a10', 'b']],
    [['x007', 'x7', 'x06'], ['x06', 'x007', 'x7']],
    [['Z', 'a'], ['Z', 'a']],
    [['n99999999999999999999999', 'n100000000000000000000000'], ['n99999999999999999999999', 'n100000000000000000000000']],
  ])('%j sorts to %j', (input, expected) => {
    expect([...input].sort(compareText)).toEqual(expected);
  });

  test('it is a total order: antisymmetric, and 0 only for equal text', () => {
    const names = ['a', 'a0', 'a00', 'a1', 'a01', 'A1', 'a1b', 'a10', '', '1', '01', 'b2c10', 'b2c9'];
    for (const a of names) {
      for (const b of names) {
        expect(Math.sign(compareText(a, b)) + Math.sign(compareText(b, a))).toBe(0);
        expect(compareText(a, b) === 0).toBe(a === b);
      }
    }
  });
});

describe('sortText and sortByText sort as compareText does, each text split once', () => {
  const text = fc.stringMatching(/^[a-c0-2/_]{0,6}$/);

  test('sortText gives compareText\'s order, in place, with digits or without', () => {
    fc.assert(fc.property(fc.array(text, { maxLength: 30 }), (items) => {
      const copy = [...items];
      expect(sortText(copy)).toBe(copy);
      expect(copy).toEqual([...items].sort(compareText));
    }));
  });

  test('sortByText gives compareText\'s order of the texts, as a copy', () => {
    fc.assert(fc.property(fc.array(fc.record({ path: text, n: fc.nat() }), { maxLength: 30 }), (items) => {
      const before = [...items];
      expect(sortByText(items, (i) => i.path).map((i) => i.path)).toEqual(items.map((i) => i.path).sort(compareText));
      expect(items).toEqual(before);
    }));
  });

  test.each([
    ['already in order, no digits', ['a', 'b', 'c'], ['a', 'b', 'c']],
    ['out of order, no digits', ['c', 'B', 'a'], ['B', 'a', 'c']],
    ['numbers by value', ['Svc10', 'Svc2'], ['Svc2', 'Svc10']],
    ['empty', [], []],
  ])('%s', (_, items, expected) => {
    expect(sortText([...items])).toEqual(expected);
  });
});
