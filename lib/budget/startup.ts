import { LedgerStartupJson } from './ledger-schema';
import { ConsumerResult } from './model';
import { deliversMinIdle, FRAMEWORK_NAMES, PresetSpec } from './presets';
import { waveDemand } from './waves';

/** What a consumer's pools open at start. */
export interface StartupPool {
  readonly preset: PresetSpec;
  /** The minimum idle delivered to each pool. */
  readonly minIdle: number;
}

/**
 * The start-up storm of a deployment: every new task opens its pools' minimum idle connections as its processes start,
 * all at about the same moment. Not a limit the budget enforces (the worst case already holds every pool full), but the
 * connection rate behind the incidents this library exists for: fresh tasks of several services opening connections at
 * once. A preset that delivers no minimum idle leaves the number to the framework, so the pool is counted whole.
 * Returns what each ECS service's new tasks open, and the most that can open at once.
 */
export function startupStorm(consumers: readonly ConsumerResult[], poolOf: (consumer: ConsumerResult) => StartupPool): LedgerStartupJson {
  const rows = consumers.filter((c) => c.input.shape?.kind === 'ecs-service' && !c.direct).map((c) => {
    const { preset, minIdle } = poolOf(c);
    const delivered = deliversMinIdle(preset);
    const perPool = delivered ? minIdle : c.poolSize;
    const { processes, poolsPerProcess } = c.input.connections;
    // A deployment replaces every task: at the autoscaling maximum, that many new tasks start.
    const newTasks = c.instances?.steady ?? 0;
    return {
      path: c.input.path,
      newTasks,
      connections: newTasks * processes * poolsPerProcess * perPool,
      perPool,
      framework: preset.framework,
      minIdleDelivered: delivered,
      basis: delivered ? `minimum idle ${minIdle} (${FRAMEWORK_NAMES[preset.framework]})`
        : `${FRAMEWORK_NAMES[preset.framework]} is given no minimum idle: counted at its whole pool`,
      wave: c.input.wave,
    };
  });
  // The services of a chain start one at a time; the rest may all start together, with one service of each chain.
  const atOnce = waveDemand(rows.map((r) => ({ path: r.path, demand: r.connections, steadyDemand: 0, wave: r.wave })));
  const chainedLargest = new Set(atOnce.chains.flatMap((chain) => (chain.largest ? [chain.largest.service] : [])));
  return {
    consumers: rows.map(({ wave: _wave, ...row }) => row),
    largestDeployment: {
      connections: atOnce.demand,
      consumers: rows.filter((r) => r.connections > 0 && (!r.wave || chainedLargest.has(r.wave.service))).map((r) => r.path),
    },
  };
}
