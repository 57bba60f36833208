import { compareText } from '../../lib/budget/text';

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
