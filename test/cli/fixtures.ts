import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LedgerJson, ledgerMetadataKey } from '../../lib/budget';
import { CliIo, main } from '../../lib/cli/main';
import { budget, ecsService, ledgerOf, postgresBehindProxy } from '../budget/fixtures';

/** The example's shape in small: ceiling floor(1000 × 50 %) − 5 = 495. */
export function sampleLedger(apiMaxTasks = 10, extra: Array<ReturnType<typeof ecsService>> = []): LedgerJson {
  return ledgerOf(budget(postgresBehindProxy(1000, 50, { reservations: [{ name: 'migrations', connections: 10 }] }), [
    ecsService('Web/Api', { maxTasks: apiMaxTasks, pool: 10 }),
    ecsService('Jobs/Worker', { maxTasks: 2, pool: 5, overflowPerPool: 2 }),
    ...extra,
  ]));
}

/** A template with the ledger in its Metadata, as ConnectionBudget writes it. */
export function templateWith(...ledgers: LedgerJson[]): Record<string, unknown> {
  return {
    Metadata: Object.fromEntries(ledgers.map((l) => [ledgerMetadataKey(l.budgetPath), l])),
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
  };
}

/** A fresh temporary directory with the given files (name → JSON value or raw text). */
export function directoryWith(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-budget-cli-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

/** A minimal cloud assembly: manifest.json naming one stack template per ledger set. */
export function assemblyWith(stacks: Record<string, LedgerJson[]>): string {
  const artifacts = Object.fromEntries(Object.keys(stacks).map((name) => [name, { type: 'aws:cloudformation:stack', properties: { templateFile: `${name}.template.json` } }]));
  return directoryWith({
    'manifest.json': { version: '55.0.0', artifacts },
    ...Object.fromEntries(Object.entries(stacks).map(([name, ledgers]) => [`${name}.template.json`, templateWith(...ledgers)])),
  });
}

/** Runs the CLI in-process; colour off unless the terminal says otherwise. */
export function run(argv: string[], options: { isTTY?: boolean; env?: Record<string, string> } = {}): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => { stdout += text; },
    stderr: (text) => { stderr += text; },
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
  };
  const code = main(argv, io);
  if (typeof code !== 'number') {
    throw new Error('run() is for the synchronous commands; await runAsync() for rehearse');
  }
  return { code, stdout, stderr };
}

/** Runs any command in-process, rehearse included, and waits for its exit code. */
export async function runAsync(argv: string[], options: { env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env: options.env ?? {}, isTTY: false });
  return { code, stdout, stderr };
}
