import { containerVariables, deployedInstead, functionVariable, Outcome } from '../../lib/template/delivered-variables';
import * as fc from 'fast-check';
import { firstIdentityIn, wordsOfLength } from '../../lib/template/holes/clients';
import { alternatives, ifArguments, isNoValue, listItems, literalsIn, NO_VALUE, PLACEHOLDER, referencesIn, soleKey, textWithPlaceholders, variableNamePattern, wordPattern } from '../../lib/template/intrinsics';
import { TemplateSet } from '../../lib/template/template-set';
import { countAlternatives, field, numberValue } from '../../lib/template/values';

// Reading values the way CloudFormation deploys them: every branch of an Fn::If may be the one that deploys.
const ifOf = (whenTrue: unknown, whenFalse: unknown) => ({ 'Fn::If': ['Chosen', whenTrue, whenFalse] });
const ref = (id: string) => ({ Ref: id });

describe('alternatives and list items', () => {
  test.each([
    ['a plain value', 5, [5]],
    ['absent', undefined, [undefined]],
    ['AWS::NoValue', NO_VALUE, [undefined]],
    ['both branches', ifOf(60, 4), [60, 4]],
    ['nested conditions', ifOf(ifOf(1, 2), NO_VALUE), [1, 2, undefined]],
    ['a reference stays one value', ref('Count'), [ref('Count')]],
    ['a malformed Fn::If is a value', { 'Fn::If': ['Chosen', 1] }, [{ 'Fn::If': ['Chosen', 1] }]],
  ])('%s', (_, value, expected) => {
    expect(alternatives(value)).toEqual(expected);
  });

  test.each([
    ['a list', ['a', 'b'], { items: ['a', 'b'], computed: [] }],
    ['a conditional list: the union', ifOf(['a'], ['b', 'c']), { items: ['a', 'b', 'c'], computed: [] }],
    ['a conditional element, or none', ['a', ifOf('b', NO_VALUE)], { items: ['a', 'b'], computed: [] }],
    ['a list left out', ifOf(['a'], NO_VALUE), { items: ['a'], computed: [] }],
    ['a list made at deploy', { 'Fn::Split': [',', ref('Ids')] }, { items: [], computed: [{ 'Fn::Split': [',', ref('Ids')] }] }],
    ['absent', undefined, { items: [], computed: [] }],
  ])('%s', (_, value, expected) => {
    expect(listItems(value)).toEqual(expected);
  });
});

describe('the sole key of an object: what tells an intrinsic from a property bag', () => {
  const inherited = Object.assign(Object.create({ Ref: 'Inherited' }), { Name: 'x' });
  test.each([
    ['one key', { Ref: 'A' }, 'Ref'],
    ['two keys', { Ref: 'A', Other: 1 }, undefined],
    ['none', {}, undefined],
    ['an inherited key is not its own', inherited, 'Name'],
    ['a numeric key', { 0: 'a' }, '0'],
  ])('%s', (_, value, expected) => {
    expect(soleKey(value)).toBe(expected);
  });

  test('a Ref beside another key is no reference, and an own AWS::NoValue only counts alone', () => {
    expect(referencesIn({ Ref: 'A', Other: { Ref: 'B' } })).toEqual([{ kind: 'resource', logicalId: 'B' }]);
    expect(isNoValue({ Ref: 'AWS::NoValue', Other: 1 })).toBe(false);
    expect(isNoValue(NO_VALUE)).toBe(true);
  });
});

describe('the words of a text that may be a task definition family, by their length', () => {
  test.each([
    ['a whole word', 'TaskDefA', [8], ['TaskDefA']],
    ['inside an ARN', 'arn:aws:ecs:task-definition/Family_1:3', [8], ['Family_1']],
    ['no word of that length', 'a:bb:ccc', [4], []],
    ['at both ends', 'ab/cd', [2], ['ab', 'cd']],
    ['empty text', '', [1], []],
    ['several lengths', 'x yy zzz', [1, 3], ['x', 'zzz']],
  ])('%s', (_, text, lengths, expected) => {
    expect(wordsOfLength(text, new Set(lengths))).toEqual(expected);
  });

  test('the same words as splitting on what a family may not hold', () => {
    const text = 'arn:aws:states:::ecs:runTask.sync {"TaskDefinition":"ServicesJobTaskC0C788CF","Cluster":"x-y_z"}';
    const words = text.split(/[^A-Za-z0-9_-]+/).filter((w) => w.length > 0);
    const lengths = new Set(words.map((w) => w.length));
    expect(wordsOfLength(text, lengths)).toEqual(words);
  });
});

describe('the first identity an actor refers to among some', () => {
  const stack = { path: 'App', name: 'App', file: 'App.json', template: { Resources: { Group: { Type: 'AWS::EC2::SecurityGroup' }, Task: { Type: 'AWS::ECS::TaskDefinition' } } } };
  const set = new TemplateSet([stack]);
  const resource = set.resourcesOf(stack).get('Task')!;
  const text = fc.constantFrom('sg-1', 'sg-2', 'Group', 'Task', 'x');
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.record({ Ref: fc.constantFrom('Group', 'Task', 'Missing') }),
      fc.record({ 'Fn::GetAtt': fc.tuple(fc.constantFrom('Group', 'Task'), fc.constantFrom('GroupId', 'Arn')) }),
      fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('A', 'B', 'C'), tie('value'), { maxKeys: 3 })),
  })).value;

  test('is the first of the identities identitiesIn lists that is among them: a resource before a literal', () => {
    const candidates = ['resource:App|Group', 'resource:App|Task', 'literal:sg-1', 'literal:sg-2', 'literal:Group', 'resource:App|Missing'];
    fc.assert(fc.property(value, fc.subarray(candidates), (v, chosen) => {
      const ids = new Set(chosen);
      const actor = { resource, label: '', refs: set.resourceIdentitiesIn(stack, v), texts: literalsIn(v) };
      expect(firstIdentityIn(actor, ids)).toBe(set.identitiesIn(stack, v).find((id) => ids.has(id)));
    }), { numRuns: 500 });
  });
});

describe('where references lead across stacks', () => {
  test('an export of exports that fans out to 160,000 references is followed whole (a spread of that many arguments overflows the stack)', () => {
    const producer = {
      path: 'P', name: 'P', file: 'P.json', template: {
        Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
        Outputs: {
          A: { Value: Array.from({ length: 400 }, () => ({ Ref: 'Topic' })), Export: { Name: 'A' } },
          B: { Value: Array.from({ length: 400 }, () => ({ 'Fn::ImportValue': 'A' })), Export: { Name: 'B' } },
        },
      },
    };
    const consumer = { path: 'C', name: 'C', file: 'C.json', template: { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Topic: { 'Fn::ImportValue': 'B' } } } } } };
    const set = new TemplateSet([producer, consumer]);
    expect(set.targets(consumer, { 'Fn::ImportValue': 'B' })).toHaveLength(160_000);
    expect(set.identitiesIn(consumer, { 'Fn::ImportValue': 'B' })).toEqual(['resource:P|Topic', 'literal:B']);
  });

  test('one value object in two stacks refers to each stack\'s own resources', () => {
    const template = { Resources: { Group: { Type: 'AWS::EC2::SecurityGroup' } } };
    const groupId = { 'Fn::GetAtt': ['Group', 'GroupId'] };
    const [a, b] = ['A', 'B'].map((name) => ({ path: name, name, file: `${name}.json`, template }));
    const set = new TemplateSet([a, b]);
    expect(set.identitiesIn(a, groupId)).toEqual(['resource:A|Group', 'literal:Group', 'literal:GroupId']);
    expect(set.identitiesIn(b, groupId)).toEqual(['resource:B|Group', 'literal:Group', 'literal:GroupId']);
  });
});

describe('a field of a conditional object is conditional, never absent', () => {
  test.each([
    ['both branches set it', ifOf({ TaskCount: 50 }, { TaskCount: 1 }), ifOf(50, 1)],
    ['one branch leaves it out', ifOf({ TaskCount: 50 }, {}), ifOf(50, NO_VALUE)],
    ['the object left out in one branch', ifOf({ TaskCount: 50 }, NO_VALUE), ifOf(50, NO_VALUE)],
    ['neither branch sets it', ifOf({}, NO_VALUE), undefined],
    ['keys in another case', { taskCount: 3 }, 3],
    ['a key of another length is another key', { TaskCounts: 3 }, undefined],
    ['a reference holds no fields', ref('Parameters'), undefined],
  ])('%s', (_, bag, expected) => {
    expect(field(bag, 'TaskCount')).toEqual(expected);
  });

  test('a key whose lower case is longer than itself still matches (\'İ\' lowers to two characters)', () => {
    expect(field({ 'İd': 5 }, 'i\u0307D')).toBe(5);
  });

  test('a number read through a conditional object is a token, so the budget asks for a bound', () => {
    expect(numberValue(field(ifOf({ TaskCount: 50 }, {}), 'TaskCount'))).toEqual({ kind: 'token' });
  });
});

describe('counts across branches: the largest literal, and whether one is absent, a token or invalid', () => {
  test.each([
    ['a literal', 7, { largest: 7, absent: false, token: false }],
    ['the larger branch', ifOf(60, '4'), { largest: 60, absent: false, token: false }],
    ['a branch that leaves it out', ifOf(5, NO_VALUE), { largest: 5, absent: true, token: false }],
    ['a token branch', ifOf(ref('Count'), 3), { largest: 3, absent: false, token: true }],
    ['an invalid branch, named', ifOf(3, '1e3'), { largest: 3, absent: false, token: false, invalid: { value: '1e3' } }],
    ['below the range', -1, { absent: false, token: false, invalid: { value: -1 } }],
  ])('%s', (_, value, expected) => {
    expect(countAlternatives(value, 0, 100)).toEqual({ largest: undefined, invalid: undefined, ...expected });
  });
});

describe('text with the parts known only at deploy replaced', () => {
  test.each([
    ['plain text', 'service/main/api', 'service/main/api'],
    ['a join with a reference', { 'Fn::Join': ['', ['service/', ref('Cluster'), '/api']] }, `service/${PLACEHOLDER}/api`],
    // eslint-disable-next-line no-template-curly-in-string -- Fn::Sub's own syntax
    ['a substitution', { 'Fn::Sub': 'service/${Cluster}/api' }, `service/${PLACEHOLDER}/api`],
    // eslint-disable-next-line no-template-curly-in-string -- Fn::Sub's own syntax
    ['a substitution with its own variables is unknown as a whole', { 'Fn::Sub': ['service/${C}/api', { C: 'x' }] }, PLACEHOLDER],
    ['a whole reference', ref('Id'), PLACEHOLDER],
    ['a number is not text', 5, undefined],
  ])('%s', (_, value, expected) => {
    expect(textWithPlaceholders(value)).toBe(expected);
  });

  test.each([
    ['an ARN with a revision', 'arn:aws:ecs:us-east-1:1:task-definition/nightly-job:3', true],
    ['the family alone', 'nightly-job', true],
    ['a longer family', 'nightly-job-2', false],
    ['a family with a prefix', 'old-nightly-job', false],
  ])('a family as a word: %s', (_, text, expected) => {
    expect(wordPattern('nightly-job').test(text)).toBe(expected);
  });

  test.each([
    ['a container override naming it', '{"Name":"DB_POOL_MAX","Value":"50"}', 'DB_POOL_MAX', true],
    ['a longer name', '{"Name":"DB_POOL_MAX_OVERFLOW"}', 'DB_POOL_MAX', false],
    ['a name with pattern characters, as text', 'set A+(B here', 'A+(B', true],
    ['the same characters read as a pattern would match', 'set AAB here', 'A+(B', false],
  ])('a variable as a word: %s', (_, text, name, expected) => {
    expect(variableNamePattern(name).test(text)).toBe(expected);
  });

  test('a name that backtracks as a pattern is matched as text, at once', () => {
    // Unescaped, `(.+)+!` against 40 characters without a `!` takes exponential time.
    expect(variableNamePattern('(.+)+!').test('x'.repeat(40))).toBe(false);
  });
});

describe('what a delivered variable deploys as, across branches', () => {
  const env = (...entries: Array<[string, unknown]>) => entries.map(([Name, Value]) => ({ Name, Value }));
  const container = (environment: unknown, secrets: unknown[] = []) => [{ Name: 'app', Environment: environment, Secrets: secrets }];

  test.each([
    ['the budget\'s value', container(env(['DB_POOL_MAX', '20'])), undefined],
    ['another value', container(env(['DB_POOL_MAX', '50'])), "'50'"],
    ['two entries, one of them wins', container(env(['DB_POOL_MAX', '20'], ['DB_POOL_MAX', '50'])), "'20' or '50'"],
    ['a branch without it', container(ifOf(env(['DB_POOL_MAX', '20']), [])), "'20' or nothing"],
    ['an entry only one branch writes', container([ifOf({ Name: 'DB_POOL_MAX', Value: '20' }, NO_VALUE)]), "'20' or nothing"],
    ['a conditional value', container(env(['DB_POOL_MAX', ifOf('20', '80')])), "'20' or '80'"],
    ['an environment made at deploy', container(ref('Environment')), 'a value known only at deploy'],
    ['a secret of that name', container(env(['DB_POOL_MAX', '20']), [{ Name: 'DB_POOL_MAX', ValueFrom: 'arn' }]), 'a secret'],
    ['the container gone', [{ Name: 'other', Environment: env(['DB_POOL_MAX', '20']) }], 'nothing'],
    ['container definitions made at deploy', ref('Definitions'), 'a value known only at deploy or nothing'],
  ])('container: %s', (_, definitions, expected) => {
    expect(deployedInstead(containerVariables(definitions, 'app', ['DB_POOL_MAX']).get('DB_POOL_MAX')!, '20')).toBe(expected);
  });

  test('several variables of one container, read at once', () => {
    const definitions = [
      { Name: 'app', Environment: [...env(['DB_POOL_MAX', '20'], ['DB_POOL_MIN', '5']), ifOf({ Name: 'DB_POOL_IDLE_MS', Value: '1000' }, NO_VALUE)], Secrets: [{ Name: 'DB_USER', ValueFrom: 'arn' }] },
      { Name: 'app', Environment: env(['DB_POOL_MIN', '6']) },
    ];
    const outcomes = containerVariables(definitions, 'app', ['DB_POOL_MAX', 'DB_POOL_MIN', 'DB_POOL_IDLE_MS', 'DB_USER', 'DB_NAME']);
    expect(Object.fromEntries([...outcomes].map(([name, o]) => [name, deployedInstead(o, '20')]))).toEqual({
      DB_POOL_MAX: "'20' or nothing", DB_POOL_MIN: "'5' or '6'", DB_POOL_IDLE_MS: "'1000' or nothing", DB_USER: 'a secret or nothing', DB_NAME: 'nothing',
    });
  });

  test('reading names at once gives what reading each alone gives (a reading one name at a time, as the readers did before)', () => {
    const names = ['A', 'B', 'C'];
    const value = fc.oneof(fc.constantFrom('1', '2'), fc.constant(NO_VALUE), fc.constant(ref('X')));
    const entry = fc.record({ Name: fc.constantFrom(...names, 'D'), Value: fc.oneof(value, value.chain((a) => value.map((b) => ifOf(a, b)))) });
    const environment = fc.oneof(
      fc.array(fc.oneof(entry, entry.chain((a) => fc.oneof(entry, fc.constant(NO_VALUE)).map((b) => ifOf(a, b))), fc.constant(NO_VALUE)), { maxLength: 5 }),
      fc.constant(undefined), fc.constant(ref('Environment')),
    );
    const definition = fc.record({
      Name: fc.constantFrom('app', 'other'),
      Environment: fc.oneof(environment, environment.chain((a) => environment.map((b) => ifOf(a, b)))),
      Secrets: fc.array(fc.record({ Name: fc.constantFrom(...names), ValueFrom: fc.constant('arn') }), { maxLength: 2 }),
    });
    const definitions = fc.oneof(fc.array(definition, { maxLength: 3 }), fc.array(definition, { maxLength: 2 }).map((list) => [...list, ref('More')]), fc.constant(ref('Definitions')));
    fc.assert(fc.property(definitions, fc.array(fc.constantFrom(...names), { maxLength: 4 }), (definitions, wanted) => {
      const together = containerVariables(definitions, 'app', wanted);
      expect([...together.keys()]).toEqual([...new Set(wanted)]);
      for (const name of wanted) expect(together.get(name)).toEqual(oneAtATime(definitions, 'app', name));
    }), { numRuns: 500 });
  });

  test.each([
    ['the budget\'s value', { DB_POOL_MAX: '2' }, undefined],
    ['another case is another variable', { db_pool_max: '2' }, 'nothing'],
    ['a branch without it', ifOf({ DB_POOL_MAX: '2' }, { OTHER: 'x' }), "'2' or nothing"],
    ['variables made at deploy', ref('Variables'), 'a value known only at deploy'],
  ])('function: %s', (_, variables, expected) => {
    expect(deployedInstead(functionVariable(variables, 'DB_POOL_MAX'), '2')).toBe(expected);
  });
});

/** A reference model: a variable's outcomes in a container read for that one name, as the readers read them before. */
function oneAtATime(definitions: unknown, container: string, name: string): Outcome[] {
  const { items, computed } = listItems(definitions);
  const outcomes: Outcome[] = computed.length > 0 ? [{ kind: 'computed' }] : [];
  const matching = items.filter((d) => field(d, 'Name') === container);
  if (matching.length === 0) outcomes.push({ kind: 'missing' });
  const values = (v: unknown): Outcome[] => alternatives(v).map((x) => (x === undefined ? { kind: 'missing' } : { kind: 'value', value: x }));
  for (const definition of matching) {
    if (listItems(field(definition, 'Secrets')).items.some((s) => field(s, 'Name') === name)) {
      outcomes.push({ kind: 'secret' });
      continue;
    }
    for (const list of alternatives(field(definition, 'Environment'))) {
      if (list === undefined || list === null) {
        outcomes.push({ kind: 'missing' });
        continue;
      }
      if (!Array.isArray(list)) {
        outcomes.push({ kind: 'computed' });
        continue;
      }
      let alwaysSet = false;
      for (const element of list) {
        const options = ifArguments(element) ? alternatives(element) : [isNoValue(element) ? undefined : element];
        const setting = options.filter((o) => field(o, 'Name') === name);
        for (const option of setting) outcomes.push(...values(field(option, 'Value')));
        if (setting.length > 0 && setting.length === options.length) alwaysSet = true;
      }
      if (!alwaysSet) outcomes.push({ kind: 'missing' });
    }
  }
  return outcomes;
}
