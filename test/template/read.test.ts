import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError, readJsonFile } from '../../lib/template/read';

describe('reading JSON files', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-json-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test('each file gives its own content, a small one read after a large one included (the read buffer is reused)', () => {
    const large = write('large.json', JSON.stringify({ Resources: { A: { Type: 'x'.repeat(100_000) } } }));
    const small = write('small.json', '{"b":2}');
    const empty = write('empty.json', '');
    expect((readJsonFile(large) as { Resources: { A: { Type: string } } }).Resources.A.Type).toHaveLength(100_000);
    expect(readJsonFile(small)).toEqual({ b: 2 });
    expect(() => readJsonFile(empty)).toThrow(InputError);
    expect(readJsonFile(write('text.json', '"×→≤"'))).toBe('×→≤');
    expect(readJsonFile(large)).toEqual(JSON.parse(fs.readFileSync(large, 'utf8')));
  });
});
