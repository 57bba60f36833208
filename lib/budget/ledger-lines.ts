import { describePerInstance } from './demand';
import { describeMaxConnections } from './describe';
import { forTerminal } from './escape';
import { LedgerConsumerJson, LedgerJson } from './ledger-schema';
import { count, percent } from './text';

/*
 * The reviewer's view: `cdk diff --template` prints one line per template Metadata key,
 * `[~] Metadata KEY: <old> to <new>` (design.md §6), so each key carries one short sentence. It prints keys and
 * sentences to a terminal as they are, so their names are escaped; the machine ledger and its key keep every name exact
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

/** Prefix of the key of a budget's full machine ledger; readers find ledgers by it. */
export const LEDGER_METADATA_KEY_PREFIX = `${METADATA_KEY_PREFIX}Ledger:`;

/** Key of the full machine ledger (in the budget's stack only). */
export function ledgerMetadataKey(budgetPath: string): string {
  return `${LEDGER_METADATA_KEY_PREFIX}${budgetPath}`;
}

/**
 * `worst case 458 of 771 (59.4 %), headroom 313; max_connections 800 (set on the budget), proxy 97 % (derived); 1 warning: CB-NEAR-CAPACITY`.
 */
export function summaryLine(ledger: LedgerJson): string {
  const { totals, capacity } = ledger;
  const parts: string[] = [];
  if (capacity && totals.ceiling !== null) {
    parts.push(`worst case ${totals.demand} of ${totals.ceiling} (${percent(totals.utilizationPercent ?? 0)}), headroom ${totals.headroom}`);
    const proxy = capacity.proxy ? `, proxy ${capacity.proxy.maxConnectionsPercent} %${capacity.proxy.derived ? ' (derived)' : ''}` : '';
    parts.push(`${describeMaxConnections(capacity.maxConnections, capacity.engine)}${proxy}`);
  } else {
    parts.push(`worst case ${totals.demand}, max_connections unknown`);
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

/** `200 = 20 tasks × 1 process × 1 pool × pool 10 (10 tasks (autoscaling maximum) × 200 % rolling surge); steady 100`. */
export function consumerLine(consumer: LedgerConsumerJson): string {
  const route = consumer.route === 'direct' ? ', bypassing the proxy' : '';
  if (!consumer.instances) {
    return `unknown worst case (pool ${consumer.pool.size}${route})`;
  }
  const perInstance = describePerInstance(consumer.kind, consumer.connections, consumer.pool.size);
  const unit = consumer.kind === 'lambda-function' ? 'environment' : 'task';
  return forTerminal(`${consumer.demand} = ${count(consumer.instances.peak, unit)} × ${perInstance} (${consumer.instances.explanation}); steady ${consumer.steadyDemand}${route}`);
}

