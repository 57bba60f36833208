import { CHECKS } from './checks';
import { CapacityCause, diffCapacityCauses } from './diff-causes';
import { largestSurges } from './ledger-lines';
import { LedgerConsumerJson, LedgerJson, LedgerProblemJson } from './ledger-schema';
import { compareText } from './text';

/** How something differs between the base and the head. */
export type ChangeStatus = 'added' | 'removed' | 'changed' | 'unchanged';

/** A value before and after; null where it is unknown or absent on that side. */
export interface Change<T> {
  readonly before: T | null;
  readonly after: T | null;
}

/** A consumer's figures on one side of a diff. */
export interface ConsumerSide {
  readonly kind: string;
  readonly route: 'proxy' | 'direct';
  readonly poolSize: number;
  /** Connections a pool may open above its maximum (SQLAlchemy's max_overflow): the `2` of pool `5+2`. */
  readonly overflowPerPool: number;
  readonly steadyInstances: number | null;
  readonly peakInstances: number | null;
  readonly connectionsPerInstance: number;
  readonly demand: number;
  readonly steadyDemand: number;
  /** How the peak instances arise: `10 tasks (autoscaling maximum) × 200 % rolling surge = 20 tasks`. */
  readonly instancesExplanation: string | null;
  /** The chain its service deploys in (deployInWaves); null when not chained. */
  readonly chain: string | null;
}

/** One consumer that was added, removed or changed. */
export interface ConsumerChange {
  readonly path: string;
  readonly status: Exclude<ChangeStatus, 'unchanged'>;
  readonly before: ConsumerSide | null;
  readonly after: ConsumerSide | null;
  /** after − before worst case (an added consumer counts from 0). */
  readonly demandDelta: number;
  /** For a changed consumer, delivered environment variables whose value changed, appeared or went away, sorted by name. */
  readonly variables: ReadonlyArray<{ readonly name: string } & Change<string>>;
}

/** One budget's difference. */
export interface BudgetChange {
  readonly budgetPath: string;
  readonly status: ChangeStatus;
  readonly maxConnections: Change<number>;
  readonly proxyMaxConnectionsPercent: Change<number>;
  readonly ceiling: Change<number>;
  readonly demand: Change<number>;
  readonly steadyDemand: Change<number>;
  readonly directDemand: Change<number>;
  readonly headroom: Change<number>;
  readonly utilizationPercent: Change<number>;
  /** What deploying in waves takes off the worst case: uncredited − credited demand (0 without chains). */
  readonly wavesCredit: Change<number>;
  /** The surge each chain counts: `'Web/Api' 100`, one per chain; null without chains. */
  readonly largestSurges: Change<string>;
  /** after − before worst case of the consumers that share the ceiling. */
  readonly demandDelta: number;
  /**
   * Why the ceiling moved: max_connections (value, source or basis), the proxy's MaxConnectionsPercent and each named
   * reservation that differ, in that order, reservations sorted by name.
   */
  readonly causes: readonly CapacityCause[];
  /** Added, removed and changed consumers, sorted by path. */
  readonly consumers: readonly ConsumerChange[];
  /** Unacknowledged problems of the head that the base did not have. */
  readonly newProblems: readonly LedgerProblemJson[];
  /** Unacknowledged problems of the base that the head no longer has. */
  readonly resolvedProblems: readonly LedgerProblemJson[];
  /**
   * Unacknowledged problems open on both sides with another message: the same check, level and subject, its figures
   * moved. Such a problem is neither new nor resolved.
   */
  readonly changedProblems: readonly ProblemChange[];
}

/** One problem, open before and after a change, whose message changed. */
export interface ProblemChange {
  readonly before: LedgerProblemJson;
  readonly after: LedgerProblemJson;
}

/** The difference between two sets of ledgers (two assemblies, or deployed templates and a synth). */
export interface BudgetDiff {
  /** Every budget on either side, sorted by path; unchanged ones included. */
  readonly budgets: readonly BudgetChange[];
  /** Whether any budget is added, removed or changed. */
  readonly changed: boolean;
  /** Sum of every budget's demandDelta. */
  readonly demandDelta: number;
  readonly counts: {
    readonly budgets: Readonly<Record<ChangeStatus, number>>;
    readonly consumers: Readonly<Record<Exclude<ChangeStatus, 'unchanged'>, number>>;
  };
}

/** Compares ledgers by budget path and consumers by construct path. Pure; inputs are not modified. */
export function diffLedgers(base: readonly LedgerJson[], head: readonly LedgerJson[]): BudgetDiff {
  const baseByPath = byBudgetPath(base, 'base');
  const headByPath = byBudgetPath(head, 'head');
  const paths = [...new Set([...baseByPath.keys(), ...headByPath.keys()])].sort(compareText);
  const budgets = paths.map((path) => diffBudget(path, baseByPath.get(path), headByPath.get(path)));
  const budgetCounts = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  const consumerCounts = { added: 0, removed: 0, changed: 0 };
  for (const budget of budgets) {
    budgetCounts[budget.status] += 1;
    for (const consumer of budget.consumers) {
      consumerCounts[consumer.status] += 1;
    }
  }
  return {
    budgets,
    changed: budgets.some((b) => b.status !== 'unchanged'),
    demandDelta: budgets.reduce((sum, b) => sum + b.demandDelta, 0),
    counts: { budgets: budgetCounts, consumers: consumerCounts },
  };
}

function byBudgetPath(ledgers: readonly LedgerJson[], side: string): Map<string, LedgerJson> {
  const map = new Map<string, LedgerJson>();
  for (const ledger of ledgers) {
    if (map.has(ledger.budgetPath)) {
      throw new Error(`diffLedgers: budget '${ledger.budgetPath}' appears twice in the ${side}`);
    }
    map.set(ledger.budgetPath, ledger);
  }
  return map;
}

function diffBudget(budgetPath: string, before: LedgerJson | undefined, after: LedgerJson | undefined): BudgetChange {
  const pick = <T>(read: (ledger: LedgerJson) => T | null | undefined): Change<T> => ({
    before: before ? read(before) ?? null : null,
    after: after ? read(after) ?? null : null,
  });
  const consumers = diffConsumers(before?.consumers ?? [], after?.consumers ?? []);
  const causes = diffCapacityCauses(before, after);
  const openProblems = (ledger: LedgerJson | undefined) => (ledger?.problems ?? []).filter((p) => !p.acknowledged);
  const { newProblems, resolvedProblems, changedProblems } = diffProblems(openProblems(before), openProblems(after));
  const change = {
    maxConnections: pick((l) => l.capacity?.maxConnections.value),
    proxyMaxConnectionsPercent: pick((l) => l.capacity?.proxy?.maxConnectionsPercent),
    ceiling: pick((l) => l.totals.ceiling),
    demand: pick((l) => l.totals.demand),
    steadyDemand: pick((l) => l.totals.steadyDemand),
    directDemand: pick((l) => l.totals.directDemand),
    headroom: pick((l) => l.totals.headroom),
    utilizationPercent: pick((l) => l.totals.utilizationPercent),
    wavesCredit: pick((l) => (l.totals.uncreditedDemand ?? l.totals.demand) - l.totals.demand),
    largestSurges: pick((l) => largestSurges(l.totals)),
  };
  const figuresDiffer = Object.values(change).some((c) => c.before !== c.after);
  const status: ChangeStatus = !before ? 'added' : !after ? 'removed'
    : figuresDiffer || causes.length > 0 || consumers.length > 0 || newProblems.length > 0 || resolvedProblems.length > 0 || changedProblems.length > 0
      ? 'changed' : 'unchanged';
  return {
    budgetPath,
    status,
    ...change,
    demandDelta: (after?.totals.demand ?? 0) - (before?.totals.demand ?? 0),
    causes,
    consumers,
    newProblems,
    resolvedProblems,
    changedProblems,
  };
}

function diffConsumers(before: readonly LedgerConsumerJson[], after: readonly LedgerConsumerJson[]): ConsumerChange[] {
  const beforeByPath = new Map(before.map((c) => [c.path, c]));
  const afterByPath = new Map(after.map((c) => [c.path, c]));
  const paths = [...new Set([...beforeByPath.keys(), ...afterByPath.keys()])].sort(compareText);
  const changes: ConsumerChange[] = [];
  for (const path of paths) {
    const b = beforeByPath.get(path);
    const a = afterByPath.get(path);
    const beforeSide = b ? side(b) : null;
    const afterSide = a ? side(a) : null;
    // An added or removed consumer's variables all differ; only a kept consumer's are worth listing.
    const variables = a && b ? diffVariables(b.poolSettings.variables, a.poolSettings.variables) : [];
    const status = !b ? 'added' : !a ? 'removed'
      : JSON.stringify(comparable(beforeSide!)) !== JSON.stringify(comparable(afterSide!)) || variables.length > 0 ? 'changed' : undefined;
    if (status) {
      changes.push({ path, status, before: beforeSide, after: afterSide, demandDelta: (a?.demand ?? 0) - (b?.demand ?? 0), variables });
    }
  }
  return changes;
}

/**
 * What makes a kept consumer changed. A chain is named after its first service by path, so a service joining or leaving
 * it may rename it: for the consumer only whether it deploys in a chain counts.
 */
function comparable(side: ConsumerSide): Omit<ConsumerSide, 'chain'> & { readonly chained: boolean } {
  const { chain, ...rest } = side;
  return { ...rest, chained: chain !== null };
}

function side(consumer: LedgerConsumerJson): ConsumerSide {
  return {
    kind: consumer.kind,
    route: consumer.route,
    poolSize: consumer.pool.size,
    overflowPerPool: consumer.connections.overflowPerPool,
    steadyInstances: consumer.instances?.steady ?? null,
    peakInstances: consumer.instances?.peak ?? null,
    connectionsPerInstance: consumer.connectionsPerInstance,
    demand: consumer.demand,
    steadyDemand: consumer.steadyDemand,
    instancesExplanation: consumer.instances?.explanation ?? null,
    chain: consumer.wave?.chain ?? null,
  };
}

function diffVariables(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): Array<{ name: string } & Change<string>> {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareText);
  return names
    .map((name) => ({ name, before: before[name] ?? null, after: after[name] ?? null }))
    .filter((v) => v.before !== v.after);
}

/** The checks whose problem, one per subject, a diff pairs with itself when only its figures moved. */
const PAIRED_CHECKS: ReadonlySet<string> = new Set(CHECKS.filter((c) => c.onePerSubject).map((c) => c.id));

/**
 * Problems of the head the base did not have, of the base the head no longer has, and those open on both with another
 * message. A problem is paired with its other side only when its check finds one problem per subject (onePerSubject)
 * and it is the one unmatched problem of that check, level and subject on each side: other checks' messages on one
 * subject (the budget's missing templates, its ledger differences) are about different things, and stay new and resolved.
 */
function diffProblems(before: readonly LedgerProblemJson[], after: readonly LedgerProblemJson[]): Pick<BudgetChange, 'newProblems' | 'resolvedProblems' | 'changedProblems'> {
  const same = (p: LedgerProblemJson) => `${problemGroup(p)}\u0000${p.message}`;
  const beforeKeys = new Set(before.map(same));
  const afterKeys = new Set(after.map(same));
  const added = after.filter((p) => !beforeKeys.has(same(p)));
  const gone = before.filter((p) => !afterKeys.has(same(p)));
  const addedPerGroup = countBy(added, problemGroup);
  const gonePerGroup = countBy(gone, problemGroup);
  const paired = (p: LedgerProblemJson) => PAIRED_CHECKS.has(p.id) && addedPerGroup.get(problemGroup(p)) === 1 && gonePerGroup.get(problemGroup(p)) === 1;
  return {
    newProblems: added.filter((p) => !paired(p)),
    resolvedProblems: gone.filter((p) => !paired(p)),
    changedProblems: added.filter(paired).map((p) => ({ before: gone.find((b) => problemGroup(b) === problemGroup(p))!, after: p })),
  };
}

function problemGroup(p: LedgerProblemJson): string {
  return `${p.id}\u0000${p.level}\u0000${p.subject}`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
