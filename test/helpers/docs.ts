import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** The documentation's files: the README (the front page), then every page of docs/ by name. */
export function documentationFiles(): string[] {
  const docs = path.join(ROOT, 'docs');
  return [path.join(ROOT, 'README.md'), ...fs.readdirSync(docs).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(docs, f))];
}

/** The whole documentation as one text, for the tests that find a pasted block or an example wherever it is. */
export function documentation(): string {
  return documentationFiles().map((file) => fs.readFileSync(file, 'utf8')).join('\n');
}

/** One page of docs/. */
export function docsPage(name: string): string {
  return fs.readFileSync(path.join(ROOT, 'docs', name), 'utf8');
}
