import { BudgetDiff } from './diff';
import { LedgerJson } from './ledger-schema';
import { count, percent } from './text';

/**
 * Thresholds that `connection-budget check` applies beyond the synth-time checks, in the manner of
 * cost guardrails: a budget may fit and still be too close to its limit, or grow too fast in one change.
 */
export interface GuardrailOptions {
  /** Fail when a budget's worst case is above this percentage of its ceiling. */
  readonly maxUtilizationPercent?: number;
  /** Fail when a budget's headroom is below this many connections. */
  readonly minHeadroom?: number;
  /** Fail when a change raises a budget's worst case by more than this many connections (needs a base; a new budget has no increase). */
  readonly maxIncrease?: number;
  /** Fail when a change raises a budget's worst case by more than this percentage (needs a base; a new budget has no increase). */
  readonly maxIncreasePercent?: number;
  /** Fail on unacknowledged warnings. */
  readonly strict?: boolean;
  /** Fail when any budget changed (needs a base). */
  readonly failOnChange?: boolean;
}

/** One crossed guardrail. */
export interface GuardrailViolation {
  /** The guardrail's stable ID: CB-CHECK-MAX-UTILIZATION. */
  readonly id: string;
  readonly budgetPath: string;
  /** What crossed which threshold, with the numbers. */
  readonly message: string;
}

/** What the guardrails read: the head's ledgers and, when a base was given, the diff from it. */
export interface GuardrailContext {
  readonly head: readonly LedgerJson[];
  readonly diff?: BudgetDiff;
  readonly options: GuardrailOptions;
}

/** A guardrail: data with a stable ID, like the synth checks. */
export interface Guardrail {
  readonly id: string;
  /** One line: when it fails. */
  readonly summary: string;
  readonly run: (context: GuardrailContext) => readonly GuardrailViolation[];
}

const budgetErrors: Guardrail = {
  id: 'CB-CHECK-BUDGET-ERRORS',
  summary: 'a budget has an error (always on): the same errors fail cdk synth',
  run: ({ head }) => head.flatMap((ledger) => ledger.problems
    .filter((p) => p.level === 'error')
    .map((p) => ({ id: 'CB-CHECK-BUDGET-ERRORS', budgetPath: ledger.budgetPath, message: `${p.id}: ${p.message} ${p.fix}` }))),
};

/**
 * A threshold on each budget's ceiling-dependent figures. A budget whose max_connections is unknown
 * fails it: the safe side, since nothing shows it holds.
 */
function ceilingThreshold(
  id: string,
  summary: string,
  limitOf: (options: GuardrailOptions) => number | undefined,
  unknownCeiling: (limit: number) => string,
  crossing: (totals: { demand: number; ceiling: number; headroom: number }, limit: number) => string | undefined,
): Guardrail {
  return {
    id,
    summary,
    run: ({ head, options }) => {
      const limit = limitOf(options);
      if (limit === undefined) {
        return [];
      }
      return head.flatMap((ledger) => {
        const { demand, ceiling, headroom } = ledger.totals;
        const message = ceiling === null || headroom === null
          ? `max_connections is unknown, so ${unknownCeiling(limit)}.`
          : crossing({ demand, ceiling, headroom }, limit);
        return message === undefined ? [] : [violation(id, ledger, message)];
      });
    },
  };
}

const maxUtilization = ceilingThreshold(
  'CB-CHECK-MAX-UTILIZATION',
  'worst-case demand is above --max-utilization percent of the ceiling',
  (options) => options.maxUtilizationPercent,
  (limit) => `utilization cannot be held to ${percent(limit)}`,
  ({ demand, ceiling }, limit) => {
    const utilization = ceiling === 0 ? (demand > 0 ? Infinity : 0) : (100 * demand) / ceiling;
    return utilization <= limit ? undefined
      : `worst-case utilization ${percent(utilization)} (${demand} of ${ceiling}) is above --max-utilization ${percent(limit)}; the most that passes is a worst case of ${Math.floor((ceiling * limit) / 100)}.`;
  },
);

const minHeadroom = ceilingThreshold(
  'CB-CHECK-MIN-HEADROOM',
  'headroom (ceiling − worst case) is below --min-headroom connections',
  (options) => options.minHeadroom,
  (limit) => `headroom cannot be held to ${limit}`,
  ({ demand, ceiling, headroom }, limit) => (headroom >= limit ? undefined
    : `headroom ${headroom} (ceiling ${ceiling} − worst case ${demand}) is below --min-headroom ${limit}.`),
);

const maxIncrease: Guardrail = {
  id: 'CB-CHECK-MAX-INCREASE',
  summary: 'a change raises a budget\'s worst case by more than --max-increase connections (a new budget is judged by utilization and headroom)',
  run: ({ diff, options }) => {
    const limit = options.maxIncrease;
    if (limit === undefined || !diff) {
      return [];
    }
    return diff.budgets.filter((b) => b.demand.before !== null && b.demandDelta > limit).map((b) => ({
      id: 'CB-CHECK-MAX-INCREASE',
      budgetPath: b.budgetPath,
      message: `worst case rises by ${b.demandDelta} (${b.demand.before} → ${b.demand.after}), more than --max-increase ${limit}.`,
    }));
  },
};

const maxIncreasePercent: Guardrail = {
  id: 'CB-CHECK-MAX-INCREASE-PERCENT',
  summary: 'a change raises a budget\'s worst case by more than --max-increase-percent percent (a new budget is judged by utilization and headroom)',
  run: ({ diff, options }) => {
    const limit = options.maxIncreasePercent;
    if (limit === undefined || !diff) {
      return [];
    }
    return diff.budgets.flatMap((b) => {
      const before = b.demand.before;
      if (before === null || b.demandDelta <= 0) {
        return [];
      }
      const rise = before === 0 ? Infinity : (100 * b.demandDelta) / before;
      if (rise <= limit) {
        return [];
      }
      const what = before === 0 ? `worst case rises from 0 to ${b.demand.after}` : `worst case rises by ${percent(rise)} (${before} → ${b.demand.after})`;
      return [{ id: 'CB-CHECK-MAX-INCREASE-PERCENT', budgetPath: b.budgetPath, message: `${what}, more than --max-increase-percent ${percent(limit)}.` }];
    });
  },
};

const warnings: Guardrail = {
  id: 'CB-CHECK-WARNINGS',
  summary: 'with --strict, a budget has an unacknowledged warning',
  run: ({ head, options }) => (!options.strict ? [] : head.flatMap((ledger) => ledger.problems
    .filter((p) => p.level === 'warning' && !p.acknowledged)
    .map((p) => violation('CB-CHECK-WARNINGS', ledger, `${p.id}: ${p.message} ${p.fix} Acknowledge it in the app if it is intended.`)))),
};

const changed: Guardrail = {
  id: 'CB-CHECK-CHANGED',
  summary: 'with --fail-on-change, a budget was added, removed or changed',
  run: ({ diff, options }) => (!options.failOnChange || !diff ? [] : diff.budgets.filter((b) => b.status !== 'unchanged').map((b) => ({
    id: 'CB-CHECK-CHANGED',
    budgetPath: b.budgetPath,
    message: b.status === 'changed'
      ? `the budget changed (${count(b.consumers.length, 'consumer')} added, removed or changed; worst case ${b.demand.before} → ${b.demand.after}).`
      : `the budget was ${b.status}.`,
  }))),
};

/** Every guardrail, in the order violations are reported. */
export const GUARDRAILS: readonly Guardrail[] = [budgetErrors, maxUtilization, minHeadroom, maxIncrease, maxIncreasePercent, warnings, changed];

/** Every crossed guardrail, in GUARDRAILS order and, within one, in budget order. */
export function checkGuardrails(context: GuardrailContext): GuardrailViolation[] {
  return GUARDRAILS.flatMap((guardrail) => guardrail.run(context));
}

function violation(id: string, ledger: LedgerJson, message: string): GuardrailViolation {
  return { id, budgetPath: ledger.budgetPath, message };
}
