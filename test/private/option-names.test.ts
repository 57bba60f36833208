import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { OPTION_NAMES } from '../../lib/private/option-names';

// The lists the constructs tell a misspelt option from must name every property of their interface, inherited ones too:
// a property left out would be refused as unknown, one too many would let a misspelling through.
describe('the option names the constructs check keys against', () => {
  // Read as syntax (no type checking of aws-cdk-lib): each interface's own properties, then those of the ones it extends.
  const files = ['consumer-options.ts', 'pool-size.ts', 'connection-budget.ts', 'budgeted-database.ts', 'allocation-source.ts'].map((f) => path.join(__dirname, '..', '..', 'lib', 'constructs', f));
  const interfaces = new Map<string, { own: string[]; extended: string[] }>();
  for (const file of files) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    ts.forEachChild(source, (node) => {
      if (!ts.isInterfaceDeclaration(node)) return;
      interfaces.set(node.name.text, {
        own: node.members.flatMap((m) => (ts.isPropertySignature(m) ? [m.name.getText(source)] : [])),
        extended: (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(source))),
      });
    });
  }
  const propertiesOf = (name: string): string[] => {
    const found = interfaces.get(name);
    return found ? [...found.own, ...found.extended.flatMap(propertiesOf)] : [`(${name} not found)`];
  };

  test.each(Object.keys(OPTION_NAMES))('%s: every property of the interface, and nothing else', (struct) => {
    expect([...OPTION_NAMES[struct as keyof typeof OPTION_NAMES]].sort()).toEqual(propertiesOf(struct).sort());
  });
});
