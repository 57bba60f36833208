import * as fs from 'fs';
import * as path from 'path';

/** The README's `ts` blocks that are whole apps (they call `app.synth()`). */
const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf-8');
const apps = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.includes('app.synth()'));

const folder = path.join(__dirname, '.readme-examples');

afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

test('the README has its three example apps', () => {
  expect(apps).toHaveLength(3);
});

test.each(apps.map((code, i) => [i + 1, code]))('README example %i synthesizes without budget errors or warnings', async (i, code) => {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `example-${i}.ts`);
  const source = (code as string)
    .replace("from 'cdk-connection-budget'", `from '${path.join(__dirname, '..', 'lib')}'`)
    .replace('app.synth();', 'export const assembly = app.synth();');
  fs.writeFileSync(file, source);
  const { assembly } = await import(file);
  const messages = assembly.stacks.flatMap((stack: any) => stack.messages)
    .filter((message: any) => message.level === 'warning' || message.level === 'error')
    .map((message: any) => String(message.entry.data));
  // Only the budget's own findings; the reboot reminder is expected from every BudgetedDatabase until acknowledged.
  expect(messages.filter((m: string) => /\[ack: CB-|\[CB-/.test(m) && !m.includes('CB-MAX-CONNECTIONS-REBOOT'))).toEqual([]);
  expect(messages.some((m: string) => m.includes('CB-MAX-CONNECTIONS-REBOOT')) || !(code as string).includes('BudgetedDatabase(')).toBe(true);
});
