import * as fs from 'fs';
import * as path from 'path';

/** The budget core stays pure: the CLI and other tools use it without loading the CDK. */
test('lib/budget imports neither aws-cdk-lib nor constructs', () => {
  const root = path.join(__dirname, '..', '..', 'lib', 'budget');
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const offenders = files.filter((f) => /from '(aws-cdk-lib|constructs)[/']/.test(fs.readFileSync(path.join(root, f), 'utf-8')));
  expect(files.length).toBeGreaterThan(10);
  expect(offenders).toEqual([]);
});
