import { evaluateBudget, forJson, forMarkdown, forTerminal, forTerminalLines, formatProblem, markdownCode } from '../../lib/budget';
import { budget, ecsService, postgresBehindProxy } from './fixtures';

/** Every character a terminal acts on instead of showing, or that reorders what it shows, but the line break. */
// eslint-disable-next-line no-control-regex
const UNSHOWN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('forTerminal writes out what a terminal would act on', () => {
  test.each<[string, string, string]>([
    ['an ordinary path', 'Web/Api-2_blue.v1', 'Web/Api-2_blue.v1'],
    ['an ANSI colour', 'Web/\u001b[31mApi\u001b[0m', 'Web/\\x1b[31mApi\\x1b[0m'],
    ['a carriage return', 'Web/Api\rData/Budget', 'Web/Api\\rData/Budget'],
    ['a newline', 'Web/Api\nconnection-budget: all good', 'Web/Api\\nconnection-budget: all good'],
    ['a tab, BEL, backspace and DEL', 'a\tb\u0007c\bd\u007f', 'a\\tb\\x07c\\x08d\\x7f'],
    ['a C1 CSI (ESC [ in one character)', 'a\u009b31mb', 'a\\x9b31mb'],
    ['a right-to-left override', 'Web/\u202eipA', 'Web/\\u202eipA'],
    ['bidi isolates and marks', '\u2066a\u2069\u200f\u061c', '\\u2066a\\u2069\\u200f\\u061c'],
    ['a line separator', 'a\u2028b', 'a\\u2028b'],
    ['Markdown and HTML, which a terminal shows as they are', '`a|b` <img src=x onerror=alert(1)> [x](http://evil) @org/team', '`a|b` <img src=x onerror=alert(1)> [x](http://evil) @org/team'],
    ['non-ASCII letters and symbols', 'Données/Bäckerei → 90 %', 'Données/Bäckerei → 90 %'],
  ])('%s', (_name, text, expected) => {
    expect(forTerminal(text)).toBe(expected);
    expect(forTerminal(expected)).toBe(expected);
  });

  test('text of several lines keeps its line breaks and nothing else', () => {
    expect(forTerminalLines('invalid properties:\n- a \u001b[2Jb\r\n- c')).toBe('invalid properties:\n- a \\x1b[2Jb\\r\n- c');
  });
});

describe('forMarkdown: plain text that opens no markup, mention or link, and stays in its table cell', () => {
  test.each<[string, string, string]>([
    ['an ordinary path', 'Web/Api-2.v1', 'Web/Api-2.v1'],
    ['a sentence of the report', "max_connections 1000 (parameter group 'Data/Params') × 50 % = 500", "max_connections 1000 (parameter group 'Data/Params') × 50 % = 500"],
    ['an ANSI colour, written out', 'a\u001b[31mb', 'a\\\\x1b\\[31mb'],
    ['a carriage return and a newline', 'a\rb\nc', 'a\\\\rb\\\\nc'],
    ['a right-to-left override', 'a\u202eb', 'a\\\\u202eb'],
    ['backticks', 'a`b``c', 'a\\`b\\`\\`c'],
    ['a pipe', 'a|b', 'a\\|b'],
    ['a backslash before a pipe', 'a\\|b', 'a\\\\\\|b'],
    ['HTML', '<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    ['an entity', 'a&lt;b', 'a\\&lt;b'],
    ['a link', '[x](http://evil)', '\\[x\\](http:&#8203;//evil)'],
    ['an image', '![x](http://evil/pixel.png)', '!\\[x\\](http:&#8203;//evil/pixel.png)'],
    ['a bare URL', 'see www.evil.example', 'see www&#8203;.evil.example'],
    ['a team mention', '@org/team', '@&#8203;org/team'],
    ['an e-mail address', 'ops@evil.example', 'ops@&#8203;evil.example'],
    ['an issue reference', 'fixes #1', 'fixes #&#8203;1'],
    ['emphasis and strikethrough', '*a* _b_ ~c~', '\\*a\\* \\_b\\_ \\~c\\~'],
    ['underscores inside a word, which open no emphasis', 'DB_POOL_MAX a_1', 'DB_POOL_MAX a_1'],
  ])('%s', (_name, text, expected) => {
    expect(forMarkdown(text)).toBe(expected);
  });
});

describe('markdownCode: a code span that holds any name', () => {
  test.each<[string, string, string, string]>([
    ['an ordinary path', 'Web/Api', '`Web/Api`', '`Web/Api`'],
    ['a backtick', 'a`b', '``a`b``', '``a`b``'],
    ['a run of backticks, at the start', '``a', '``` ``a ```', '``` ``a ```'],
    ['a backtick at the end', 'a`', '`` a` ``', '`` a` ``'],
    ['a pipe', 'a|b', '`a|b`', '`a\\|b`'],
    ['a backslash before a pipe', 'a\\|b', '`a\\|b`', '`a\\\\|b`'],
    ['HTML, a link and a mention, which a code span shows as they are', '<img src=x> [x](http://evil) @org/team', '`<img src=x> [x](http://evil) @org/team`', '`<img src=x> [x](http://evil) @org/team`'],
    ['an ANSI colour and a newline, written out', 'a\u001b[31m\nb', '`a\\x1b[31m\\nb`', '`a\\x1b[31m\\nb`'],
    ['a right-to-left override', 'a\u202eb', '`a\\u202eb`', '`a\\u202eb`'],
    ['spaces at both ends, which CommonMark would strip', ' a ', '`  a  `', '`  a  `'],
  ])('%s', (_name, text, span, inTable) => {
    expect(markdownCode(text)).toBe(span);
    expect(markdownCode(text, { inTable: true })).toBe(inTable);
  });
});

describe('forJson', () => {
  test('JSON text keeps the data exact and holds no character a terminal would act on', () => {
    const value = { name: 'a\u001b[31m\u009b\u202e\u2028\nb' };
    const json = forJson(JSON.stringify(value, undefined, 2));
    expect(json).not.toMatch(UNSHOWN);
    expect(json).toBe('{\n  "name": "a\\u001b[31m\\u009b\\u202e\\u2028\\nb"\n}');
    expect(JSON.parse(json)).toEqual(value);
  });
});

test('a synth error names a hostile budget on one line, written out', () => {
  const evaluation = evaluateBudget(budget(postgresBehindProxy(100, 50), [ecsService('Web/Api', { maxTasks: 10, pool: 10 })], { path: 'Data/\u001b[32mBudget\nok' }));
  const errors = evaluation.problems.filter((p) => p.level === 'error').map(formatProblem);
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error).toMatch(/^ConnectionBudget 'Data\/\\x1b\[32mBudget\\nok': /);
    // eslint-disable-next-line no-control-regex -- the escape character is what must not get through
    expect(error).not.toMatch(/[\u001b\n]/);
  }
  // The problem itself keeps the name: only its rendering escapes it.
  expect(evaluation.problems[0].message).toContain('Data/\u001b[32mBudget\nok');
});
