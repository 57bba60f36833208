import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Runs the real aws-cdk CLI on the example app (cdk.json), as a user would, into a fresh output folder. */
function cdkSynth(...context: string[]): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  const args = ['cdk', 'synth', '--quiet', '--output', out, ...context.flatMap((c) => ['--context', c])];
  return new Promise((resolve) => {
    execFile('npx', args, { cwd: path.join(__dirname, '..', '..'), env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, out }));
  });
}

function poolMaxima(out: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const file of fs.readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(out, file), 'utf-8'));
    for (const [id, resource] of Object.entries<any>(template.Resources)) {
      if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
      const environment: Array<{ Name: string; Value: string }> = resource.Properties.ContainerDefinitions[0].Environment ?? [];
      result[id.replace(/[0-9A-F]{8}$/, '')] = environment.find((e) => e.Name === 'DB_POOL_MAX')?.Value ?? 'missing';
    }
  }
  return result;
}

describe('the real cdk synth on the example app', () => {
  // Both synths at once: each takes several seconds and the machine has two cores.
  const runs = Promise.all([cdkSynth(), cdkSynth('storefrontMaxCapacity=30')]);
  afterAll(async () => {
    for (const run of await runs) fs.rmSync(run.out, { recursive: true, force: true });
  });

  test('the safe app synthesizes and every service carries its derived pool size', async () => {
    const [safe] = await runs;
    expect(safe.stderr).not.toMatch(/CB-[A-Z-]+/);
    expect(safe.code).toBe(0);
    expect(poolMaxima(safe.out)).toEqual({
      StorefrontTaskDef: '10',
      CheckoutTaskDef: '8',
      AccountsTaskDef: '6',
      OrderWorkerQueueProcessingTaskDef: '5',
      InventoryApiTaskDef: '20',
    });
  });

  test('raising one service past the budget makes cdk synth exit non-zero with the message and the fix', async () => {
    const [, unsafe] = await runs;
    expect(unsafe.code).not.toBe(0);
    expect(unsafe.stderr).toContain(
      "[PlatformData/ConnectionBudget] ConnectionBudget 'PlatformData/ConnectionBudget': worst-case demand 912 (every derived pool at its minimum) "
      + 'exceeds the proxy ceiling 715 by 197: max_connections 800 (parameter group \'PlatformData/Parameters\') × 90 % = 720, less 5 kept by RDS Proxy.');
    expect(unsafe.stderr).toContain("'PlatformWeb/Storefront/Service' 600 = 30 tasks (autoscaling maximum) × 200 % rolling surge = 60 tasks × 1 process × 1 pool × pool 10");
    expect(unsafe.stderr).toContain("Lower the autoscaling maximum of 'PlatformWeb/Storefront/Service' from 30 to 20, lower its pool from 10 to 6, or raise max_connections from 800 to at least 1019");
    expect(unsafe.stderr).toContain('[CB-OVER-CAPACITY]');
    expect(fs.readdirSync(unsafe.out).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });
});
