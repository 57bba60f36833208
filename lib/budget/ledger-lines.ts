import { describePerInstance } from './demand';
import { maxConnectionsOrigin } from './describe';
import { forTerminal } from './escape';
import { LedgerConsumerJson, LedgerJson, LedgerStartupJson, LedgerTotalsJson } from './ledger-schema';
import { FRAMEWORK_NAMES } from './presets';
import { compareText, count, listOf, percent } from './text';

/*
 * The reviewer's view: `cdk diff --template` prints one line per template Metadata key,
 * `[~] Metadata KEY: <old> to <new>` (design.md §6), so each key carries one short sentence. It prints keys and
 * sentences to a terminal as they are, so their names are escaped; the records keep every name exact
 * for the readers that match budgets by it.
 */

/** Prefix of every template Metadata key the library writes. */
export const METADATA_KEY_PREFIX = 'ConnectionBudget';

/** Key of a budget's one-line summary. */
export function summaryMetadataKey(budgetPath: string): string {
  return `${METADATA_KEY_PREFIX}:${forTerminal(budgetPath)}`;
}

/** Key of one consumer's line. */
export function consumerMetadataKey(budgetPath: string, consumerPath: string): string {
  return `${METADATA_KEY_PREFIX}:${forTerminal(budgetPath)}:${forTerminal(consumerPath)}`;
}

/**
 * Prefix of the key of a budget's whole ledger in templates written before records (ledger schema 1 to 4, such as
 * deployed ones); readers still find ledgers by it.
 */
export const LEDGER_METADATA_KEY_PREFIX = `${METADATA_KEY_PREFIX}Ledger:`;

/** Key of the whole ledger in the budget's stack, in templates written before records. */
export function ledgerMetadataKey(budgetPath: string): string {
  return `${LEDGER_METADATA_KEY_PREFIX}${budgetPath}`;
}

/**
 * `worst case 458 of 771 (59.4 %), headroom 313; max_connections 800 (set on the budget), proxy 97 % (derived); 1 warning: CB-NEAR-CAPACITY`.
 * A parameter group is named by its kind only: its path is in the budget's record, and `cdk diff` prints the line twice.
 */
export function summaryLine(ledger: LedgerJson): string {
  const { totals, capacity } = ledger;
  const parts: string[] = [];
  if (capacity && totals.ceiling !== null) {
    parts.push(`worst case ${totals.demand} of ${totals.ceiling} (${percent(totals.utilizationPercent ?? 0)}), headroom ${totals.headroom}`);
    const proxy = capacity.proxy ? `, proxy ${capacity.proxy.maxConnectionsPercent} %${capacity.proxy.derived ? ' (derived)' : ''}` : '';
    const origin = capacity.maxConnections.source === 'parameter-group' ? 'parameter group' : maxConnectionsOrigin(capacity.maxConnections, capacity.engine);
    parts.push(`max_connections ${capacity.maxConnections.value} (${origin})${proxy}`);
  } else {
    parts.push(`worst case ${totals.demand}, max_connections unknown`);
  }
  const waves = wavesText(totals);
  if (waves) {
    parts.push(waves);
  }
  if (totals.directDemand > 0) {
    parts.push(`${totals.directDemand} direct`);
  }
  const open = ledger.problems.filter((p) => !p.acknowledged);
  for (const level of ['error', 'warning'] as const) {
    const ids = open.filter((p) => p.level === level).map((p) => p.id);
    if (ids.length > 0) {
      parts.push(`${count(ids.length, level)}: ${[...new Set(ids)].join(', ')}`);
    }
  }
  return forTerminal(parts.join('; '));
}

/**
 * `200 = 20 tasks × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100`, or with several
 * processes and pools `360 = 20 tasks × 3 processes × 2 pools × pool 3 (…)`: factors of 1 and the peak said twice are
 * left out, as `cdk diff` prints the line twice (before and after).
 */
export function consumerLine(consumer: LedgerConsumerJson): string {
  const route = consumer.route === 'direct' ? ', bypassing the proxy' : '';
  if (!consumer.instances) {
    return `unknown worst case (pool ${consumer.pool.size}${route})`;
  }
  const unit = consumer.kind === 'lambda-function' ? 'environment' : 'task';
  const peak = count(consumer.instances.peak, unit);
  const said = ` = ${peak}`;
  const { explanation } = consumer.instances;
  const shown = explanation.endsWith(said) ? explanation.slice(0, -said.length) : explanation;
  const waves = consumer.wave ? '; deploys in waves' : '';
  return forTerminal(`${consumer.demand} = ${peak} × ${describePerInstance(consumer.kind, consumer.connections, consumer.pool.size, true)} (${shown}); steady ${consumer.steadyDemand}${route}${waves}`);
}


/**
 * `deploying in waves saves 140 connections, largest surge 'Services/Worker' 125`: what chaining the services' deployments
 * takes off the worst case, and whose surge still counts; undefined for a budget without chains.
 */
export function wavesText(totals: LedgerTotalsJson): string | undefined {
  const chains = totals.chains ?? [];
  if (chains.length === 0) return undefined;
  const credit = (totals.uncreditedDemand ?? totals.demand) - totals.demand;
  const largest = largestSurges(totals);
  const surge = largest === undefined ? 'no service surges' : `largest surge${chains.filter((c) => c.largest).length > 1 ? 's' : ''} ${largest}`;
  return forTerminal(`deploying in waves saves ${count(credit, 'connection')}, ${surge}${chains.length > 1 ? ` (${count(chains.length, 'chain')})` : ''}`);
}

/** How many consumers the start-up line names. */
const STARTUP_CONSUMERS_SHOWN = 3;

/** `'Web/Api' 100, 'Jobs/Sync' 20`: the surge each chain counts; undefined when none surges. */
export function largestSurges(totals: LedgerTotalsJson): string | undefined {
  const surges = (totals.chains ?? []).flatMap((c) => (c.largest ? [`'${c.largest.service}' ${c.largest.connections}`] : []));
  return surges.length > 0 ? surges.join(', ') : undefined;
}

/**
 * `new tasks open at most 12 connections at start (largest: 'Web/Api' 10, 'Jobs/Worker' 2; minimum idle 1 (…))`: the
 * start-up storm of the largest deployment, its largest parts, and where the per-pool figures come from; undefined
 * without ECS services.
 */
export function startupText(startup: LedgerStartupJson | null): string | undefined {
  if (!startup || startup.consumers.length === 0) return undefined;
  const included = new Set(startup.largestDeployment.consumers);
  const rows = startup.consumers.filter((c) => included.has(c.path) && c.connections > 0)
    .sort((a, b) => b.connections - a.connections || compareText(a.path, b.path));
  const largest = rows.slice(0, STARTUP_CONSUMERS_SHOWN).map((r) => `'${r.path}' ${r.connections}`);
  const more = rows.length > STARTUP_CONSUMERS_SHOWN ? `, ${rows.length - STARTUP_CONSUMERS_SHOWN} more` : '';
  // Which presets open what: the minimum idle they are given, or their whole pool when they have no such setting.
  const minIdle = [...new Set(rows.filter((r) => r.minIdleDelivered).map((r) => r.perPool))].sort((a, b) => a - b);
  const whole = [...new Set(rows.filter((r) => !r.minIdleDelivered).map((r) => FRAMEWORK_NAMES[r.framework]))].sort(compareText);
  const bases = [
    ...(minIdle.length > 0 ? [`minimum idle ${listOf(minIdle.map(String), 'or')} per pool`] : []),
    ...(whole.length > 0 ? [`the whole pool for ${listOf(whole, 'and')}, given no minimum idle`] : []),
  ];
  const detail = rows.length === 0 ? '' : ` (largest: ${largest.join(', ')}${more}; ${bases.join('; ')})`;
  return forTerminal(`new tasks open at most ${count(startup.largestDeployment.connections, 'connection')} at start${detail}`);
}
