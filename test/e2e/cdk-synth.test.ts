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

/** The environment of every task definition's first container and every function, by logical ID without its hash. */
function environments(out: string): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const file of fs.readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(out, file), 'utf-8'));
    for (const [id, resource] of Object.entries<any>(template.Resources)) {
      const key = id.replace(/[0-9A-F]{8}$/, '');
      if (resource.Type === 'AWS::ECS::TaskDefinition') {
        const environment: Array<{ Name: string; Value: unknown }> = resource.Properties.ContainerDefinitions[0].Environment ?? [];
        result[key] = Object.fromEntries(environment.filter((e) => typeof e.Value === 'string').map((e) => [e.Name, e.Value as string]));
      } else if (resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment) {
        result[key] = resource.Properties.Environment.Variables;
      }
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
    const env = environments(safe.out);
    // Each consumer gets the variables its framework reads; the derived pools (Accounts, InventoryApi) fill the budget.
    expect(env.StorefrontTaskDef).toEqual({ RAILS_MAX_THREADS: '10', DB_CHECKOUT_TIMEOUT: '30', DB_IDLE_TIMEOUT: '600' });
    expect(env.CheckoutTaskDef.PG_POOL_MAX).toBe('8');
    expect(env.AccountsTaskDef.SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE).toBe('6');
    expect(env.OrderWorkerQueueProcessingTaskDef).toMatchObject({ SQLALCHEMY_POOL_SIZE: '5', SQLALCHEMY_MAX_OVERFLOW: '2' });
    expect(env.InventoryApiTaskDef.PGX_POOL_PARAMS).toBe('pool_max_conns=19&pool_min_conns=1&pool_max_conn_lifetime=1800s&pool_max_conn_idle_time=600s');
    expect(env.InventorySyncScheduledTaskDef.DB_POOL_MAX).toBe('4');
    expect(env.OrderEvents.PG_POOL_MAX).toBe('1');
    const data = JSON.parse(fs.readFileSync(path.join(safe.out, 'PlatformData.template.json'), 'utf-8'));
    const resources = Object.values<any>(data.Resources);
    expect(resources.find((r) => r.Type === 'AWS::RDS::DBParameterGroup').Properties.Parameters.max_connections).toBe('800');
    // (800 − 5 engine reserve − 15 reserved) / 800 = 97.5 %: the proxy may use everything but the reserved slots.
    expect(resources.find((r) => r.Type === 'AWS::RDS::DBProxyTargetGroup').Properties.ConnectionPoolConfigurationInfo.MaxConnectionsPercent).toBe(97);
  });

  test('raising one service past the budget makes cdk synth exit non-zero with the message and the fix', async () => {
    const [, unsafe] = await runs;
    expect(unsafe.code).not.toBe(0);
    expect(unsafe.stderr).toContain(
      "[PlatformData/Database/Budget] ConnectionBudget 'PlatformData/Database/Budget': worst-case demand 980 (every derived pool at its minimum) "
      + "exceeds the proxy ceiling 771 by 209: max_connections 800 (parameter group 'PlatformData/Database/Parameters') × 97 % (derived by the budget) = 776, "
      + 'less 5 kept by RDS Proxy.');
    expect(unsafe.stderr).toContain("'PlatformWeb/Storefront/Service' 600 = 30 tasks (autoscaling maximum) × 200 % rolling surge = 60 tasks × 1 process × 1 pool × pool 10");
    expect(unsafe.stderr).toContain("'PlatformBackend/OrderWorker/QueueProcessingFargateService' 112 = 8 tasks (autoscaling maximum) × 200 % rolling surge = 16 tasks × 1 process × 1 pool × (pool 5 + overflow 2)");
    // The max_connections fix accounts for the derived percent: 1006 − 20 held = 986 usable, 98 % = 985, less 5 = 980.
    expect(unsafe.stderr).toContain("Lower the autoscaling maximum of 'PlatformWeb/Storefront/Service' from 30 to 19, lower its pool from 10 to 6, or raise max_connections from 800 to at least 1006");
    expect(unsafe.stderr).toContain('[CB-OVER-CAPACITY]');
    expect(fs.readdirSync(unsafe.out).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });
});
