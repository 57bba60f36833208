import * as fs from 'fs';
import * as path from 'path';
import { synthSample } from './apps';
import { run } from './fixtures';

// Real apps, synthesized and read back by the CLI, which rebuilds every figure from the templates: the sample budget
// (max_connections 1000 in 'Data/Params', 'migrations' reserved) and the same with the capacity changed.
const base = synthSample();
const created: string[] = [base];
/** A directory the test removes afterwards. */
const scratch = (dir: string) => {
  created.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

describe('diff names what moved the ceiling, as the templates deploy it', () => {
  test('a raised max_connections and a new reservation, in text and JSON', () => {
    const raised = scratch(synthSample({ maxConnections: 1200, change: ({ budget }) => budget.addReservation({ name: 'admin', connections: 5 }) }));
    expect(run(['diff', '--base', base, '--head', raised]).stdout).toContain([
      '~ Connection budget Data/Budget',
      '    ~  max_connections      1000 (parameter group \'Data/Params\') → 1200 (parameter group \'Data/Params\')',
      '    +  reservation \'admin\'  none → 5',
      '    worst case   0 (228)',
    ].join('\n'));
    const json = JSON.parse(run(['diff', '--base', base, '--head', raised, '--format', 'json']).stdout);
    expect(json.diff.budgets[0].causes.map((c: { kind: string; status: string }) => `${c.kind} ${c.status}`)).toEqual(['max-connections changed', 'reservation added']);
  });

  test('a max_connections edited into the template after synth is the one the diff shows', () => {
    const edited = scratch(fs.mkdtempSync(path.join(path.dirname(base), 'edited-')));
    fs.cpSync(base, edited, { recursive: true });
    const file = path.join(edited, 'Data.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::RDS::DBParameterGroup').Properties.Parameters.max_connections = '900';
    fs.writeFileSync(file, JSON.stringify(template));
    expect(run(['diff', '--base', base, '--head', edited, '--format', 'markdown']).stdout)
      .toContain('| ~ | max_connections | 1000 (parameter group \'Data/Params\') | 900 (parameter group \'Data/Params\') |');
  });
});
