import * as fs from 'fs';
import { parseArgs } from 'util';
import {
  AllocationJoin, checkGuardrails, diffAllocations, diffLedgers, forTerminal, forTerminalLines, GuardrailOptions, joinAllocations, joinViolations, LedgerConsumerJson, LedgerJson,
  listOf, RehearsalPlanError, rehearsalPlan,
} from '../budget';
import { libraryVersion } from '../private/package-version';
import { optionError } from './option-error';
import { readAllocationRecords } from './read-allocation-records';
import { BudgetSource, combineBudgets, InputError, readBudgets, verifiedLedgers } from './read-budgets';
import {
  describeSource, noteNewBudgets, noteUnreliableBase, requireBaseOf, requireUnsplitApps, requireWholeApps,
} from './source-checks';
import { Format, FORMATS } from './render/format';
import { checkJson, diffJson, reportJson } from './render/json';
import { checkMarkdown, diffMarkdown, reportMarkdown } from './render/markdown';
import { CheckResult } from './render/summary';
import { rehearsalJson, rehearsalMarkdown, rehearsalText } from './render/rehearsal';
import { checkText, diffText, reportText } from './render/text';
import { RehearsalError, RehearsalInterrupted } from './rehearse/errors';
import { MAX_WAIT_SECONDS, rehearse } from './rehearse/rehearse';
import { chooseServers, PROXY_STAND_INS, ProxyStandIn } from './rehearse/servers';
import { DEFAULT_ASSEMBLY, USAGE } from './usage';

/** Exit codes, documented in docs/cli.md and in `--help`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 3 } as const;

/** What the CLI touches of the outside world, injected so tests run it in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal. */
  readonly isTTY: boolean;
}

class UsageError extends Error {}

const OPTIONS = {
  'format': { type: 'string' },
  'base': { type: 'string', multiple: true },
  'head': { type: 'string', multiple: true },
  'no-color': { type: 'boolean' },
  'fail-on-change': { type: 'boolean' },
  'max-utilization': { type: 'string' },
  'min-headroom': { type: 'string' },
  'max-increase': { type: 'string' },
  'max-increase-percent': { type: 'string' },
  'strict': { type: 'boolean' },
  'allocation-record': { type: 'string', multiple: true },
  'budget': { type: 'string' },
  'pools-from': { type: 'string' },
  'surging': { type: 'string' },
  'wait': { type: 'string' },
  'proxy-stand-in': { type: 'string' },
  'help': { type: 'boolean', short: 'h' },
  'version': { type: 'boolean' },
} as const;
type OptionName = keyof typeof OPTIONS;

/** Which options each command accepts (besides format, no-color and help). */
const COMMAND_OPTIONS: Record<Command, readonly OptionName[]> = {
  report: ['allocation-record'],
  diff: ['base', 'head', 'fail-on-change'],
  check: ['base', 'fail-on-change', 'max-utilization', 'min-headroom', 'max-increase', 'max-increase-percent', 'strict', 'allocation-record'],
  rehearse: ['budget', 'pools-from', 'surging', 'wait', 'proxy-stand-in'],
};
type Command = 'report' | 'diff' | 'check' | 'rehearse';
const COMMON_OPTIONS: readonly OptionName[] = ['format', 'no-color', 'help', 'version'];

/** Runs one command line; returns the exit code (a promise for rehearse, which waits on real connections). Never throws. */
export function main(argv: readonly string[], io: CliIo): number | Promise<number> {
  try {
    const result = run(argv, io);
    return typeof result === 'number' ? result : result.catch((e) => failed(e, io));
  } catch (e) {
    return failed(e, io);
  }
}

/**
 * The exit code of an error, with its message: usage and input errors are the user's to fix, anything else is a bug.
 * Messages name paths and names read from files: escaped whole, usage and input errors as the one line they are; a
 * rehearsal's may quote its tools' logs, line by line.
 */
function failed(e: unknown, io: CliIo): number {
  if (e instanceof UsageError) {
    io.stderr(`connection-budget: ${forTerminal(e.message)}\nRun connection-budget --help for usage.\n`);
    return EXIT.usage;
  }
  if (e instanceof RehearsalInterrupted) {
    io.stderr(`connection-budget: ${forTerminal(e.message)}\n`);
    return e.exitCode;
  }
  if (e instanceof InputError || e instanceof RehearsalPlanError) {
    io.stderr(`connection-budget: ${forTerminal(e.message)}\n`);
    return EXIT.usage;
  }
  if (e instanceof RehearsalError) {
    io.stderr(`connection-budget: ${forTerminalLines(e.message)}\n`);
    return EXIT.usage;
  }
  const error = e as Error;
  io.stderr(`connection-budget: internal error: ${forTerminalLines(error?.message ?? String(e))}\n`
    + 'This is a bug; please report it with the command you ran.'
    + (io.env.CONNECTION_BUDGET_DEBUG ? `\n${forTerminalLines(error?.stack ?? '')}\n` : ' Set CONNECTION_BUDGET_DEBUG=1 for the stack trace.\n'));
  return EXIT.internal;
}

/** Entry point of the `connection-budget` bin. */
export function runFromProcess(): void {
  void Promise.resolve(main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
  })).then((code) => {
    process.exitCode = code;
  });
}

function run(argv: readonly string[], io: CliIo): number | Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(optionError(e as Error & { code?: string }, ...suggestible(argv)));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (values.version) {
    io.stdout(`${libraryVersion() ?? 'unknown'}\n`);
    return EXIT.ok;
  }
  const [command, ...operands] = positionals;
  if (command === undefined) {
    throw new UsageError('a command is required: report, diff, check or rehearse.');
  }
  if (!isCommand(command)) {
    throw new UsageError(`unknown command '${command}'; commands are report, diff, check and rehearse.`);
  }
  const allowed = new Set([...COMMON_OPTIONS, ...COMMAND_OPTIONS[command]]);
  const misplaced = (Object.keys(values) as OptionName[]).filter((name) => !allowed.has(name));
  if (misplaced.length > 0) {
    throw new UsageError(`${misplaced.map((o) => `--${o}`).join(', ')} cannot be used with ${command}.`);
  }
  if (command === 'diff' && operands.length > 0) {
    throw new UsageError(`diff takes no positional arguments (got '${operands.join(' ')}'); pass --base and --head.`);
  }
  if (command === 'rehearse' && operands.length > 1) {
    throw new UsageError(`rehearse takes at most one assembly (got '${operands.join(' ')}').`);
  }
  const locations = operands.length > 0 ? operands : [DEFAULT_ASSEMBLY];
  const format = parseFormat(values.format);
  const color = !values['no-color'] && io.isTTY && !io.env.NO_COLOR && io.env.FORCE_COLOR !== '0';

  switch (command) {
    case 'report': {
      const head = requireLedgers(locations.map(readBudgets));
      const allocations = joinAllocations(head, readAllocationRecords(values['allocation-record'] ?? [], head));
      const render: Record<Format, () => string> = {
        text: () => reportText(head, { color }, allocations),
        markdown: () => reportMarkdown(head, allocations),
        json: () => reportJson(head, allocations),
      };
      io.stdout(render[format]());
      return hasErrors(head, allocations) ? EXIT.failed : EXIT.ok;
    }
    case 'diff': {
      if (values.base === undefined) {
        throw new UsageError('diff needs --base: the assembly or templates to compare against.');
      }
      if (values.head === undefined && !fs.existsSync(DEFAULT_ASSEMBLY)) {
        throw new InputError(`diff compares --base with --head, which is ${DEFAULT_ASSEMBLY} unless given, and there is no '${DEFAULT_ASSEMBLY}' here: `
          + 'run cdk synth first, or pass --head.');
      }
      const baseSources = values.base.map(readBudgets);
      const headSources = (values.head ?? [DEFAULT_ASSEMBLY]).map(readBudgets);
      requireUnsplitApps(baseSources, '--base');
      requireUnsplitApps(headSources, '--head');
      requireWholeApps(headSources);
      if ([...baseSources, ...headSources].every((s) => s.budgets.length === 0)) {
        throw new InputError(`no connection budget ledger ${listOf([...baseSources, ...headSources].map((s) => `in ${describeSource(s)}`), 'or')}.`);
      }
      noteUnreliableBase(baseSources, io.stderr);
      const base = combineBudgets(baseSources).map((b) => b.ledger);
      const head = verifiedLedgers(combineBudgets(headSources));
      const diff = diffLedgers(base, head);
      const headAllocations = joinAllocations(head);
      const allocationChanges = diffAllocations(joinAllocations(base), headAllocations);
      const render: Record<Format, () => string> = {
        text: () => diffText(diff, { color }, allocationChanges),
        markdown: () => diffMarkdown(diff, head, allocationChanges),
        json: () => diffJson(diff, allocationChanges),
      };
      io.stdout(render[format]());
      noteHeadErrors(head, headAllocations, io.stderr);
      return hasErrors(head, headAllocations) || (values['fail-on-change'] && diff.changed) ? EXIT.failed : EXIT.ok;
    }
    case 'check': {
      const options: GuardrailOptions = {
        maxUtilizationPercent: parseNumber('max-utilization', values['max-utilization'], false),
        minHeadroom: parseNumber('min-headroom', values['min-headroom'], true),
        maxIncrease: parseNumber('max-increase', values['max-increase'], true),
        maxIncreasePercent: parseNumber('max-increase-percent', values['max-increase-percent'], false),
        strict: values.strict === true,
        failOnChange: values['fail-on-change'] === true,
      };
      const needBase = (['max-increase', 'max-increase-percent', 'fail-on-change'] as const).filter((o) => values[o] !== undefined);
      if (values.base === undefined && needBase.length > 0) {
        throw new UsageError(`${needBase.map((o) => `--${o}`).join(', ')} ${needBase.length === 1 ? 'needs' : 'need'} --base: the assembly or templates to compare with.`);
      }
      const head = requireLedgers(locations.map(readBudgets));
      const baseSources = values.base?.map(readBudgets);
      if (baseSources) requireUnsplitApps(baseSources, '--base');
      const increase = (['max-increase', 'max-increase-percent'] as const).find((o) => values[o] !== undefined);
      if (baseSources && increase) {
        requireBaseOf(head, baseSources, `--${increase}`);
        noteNewBudgets(head, baseSources, `--${increase}`, io.stderr);
      }
      if (baseSources) noteUnreliableBase(baseSources, io.stderr);
      const diff = baseSources && diffLedgers(combineBudgets(baseSources).map((b) => b.ledger), head);
      const allocations = joinAllocations(head, readAllocationRecords(values['allocation-record'] ?? [], head));
      const result: CheckResult = {
        head,
        diff,
        allocations,
        allocationWarnings: options.strict ? [] : allocations.problems.filter((p) => p.level === 'warning'),
        guardrails: describeGuardrails(options),
        violations: [...checkGuardrails({ head, diff, options }), ...joinViolations(allocations, options.strict === true)],
      };
      const render: Record<Format, () => string> = {
        text: () => checkText(result, { color }),
        markdown: () => checkMarkdown(result),
        json: () => checkJson(result),
      };
      io.stdout(render[format]());
      return result.violations.length > 0 ? EXIT.failed : EXIT.ok;
    }
    case 'rehearse': {
      const ledgers = requireLedgers(locations.map(readBudgets));
      const ledger = chooseBudget(ledgers, values.budget);
      const plan = rehearsalPlan(ledger, poolSource(values['pools-from'], ledger), values.surging);
      const waitSeconds = parseNumber('wait', values.wait, true) ?? DEFAULT_WAIT_SECONDS;
      if (waitSeconds < 1) {
        throw new UsageError(`--wait must be at least 1 second, got '${values.wait}'.`);
      }
      if (waitSeconds > MAX_WAIT_SECONDS) {
        throw new UsageError(`--wait must be at most ${MAX_WAIT_SECONDS} seconds, got '${values.wait}': `
          + `RDS Proxy waits at most ${MAX_WAIT_SECONDS} s for a connection (its ConnectionBorrowTimeout).`);
      }
      const requested = values['proxy-stand-in'];
      if (requested !== undefined && !(PROXY_STAND_INS as readonly string[]).includes(requested)) {
        throw new UsageError(`--proxy-stand-in must be ${PROXY_STAND_INS.join(' or ')}, got '${requested}'.`);
      }
      const servers = chooseServers(plan.proxyServerConnections !== undefined, requested as ProxyStandIn | undefined);
      const setting = { postgres: servers.postgres.source, proxy: servers.proxy?.kind };
      return rehearse(plan, { waitSeconds, holdMs: HOLD_MS, servers }).then((outcomes) => {
        const render: Record<Format, () => string> = {
          text: () => rehearsalText(plan, setting, outcomes, { color }),
          markdown: () => rehearsalMarkdown(plan, setting, outcomes),
          json: () => rehearsalJson(plan, setting, outcomes),
        };
        io.stdout(render[format]());
        return outcomes.some((o) => o.opened < o.requested) ? EXIT.failed : EXIT.ok;
      });
    }
  }
}

/** A client waits for a connection as long as RDS Proxy's borrow timeout in BudgetedDatabase. */
const DEFAULT_WAIT_SECONDS = 30;
/** Every opened connection is held this long, all at once, before release. */
const HOLD_MS = 1000;

function chooseBudget(ledgers: readonly LedgerJson[], budget: string | undefined): LedgerJson {
  if (budget !== undefined) {
    const found = ledgers.find((l) => l.budgetPath === budget);
    if (!found) {
      throw new UsageError(`--budget '${budget}' is not in the assembly; its budgets are ${ledgers.map((l) => `'${l.budgetPath}'`).join(', ')}.`);
    }
    return found;
  }
  if (ledgers.length > 1) {
    throw new UsageError(`the assembly has ${ledgers.length} budgets; choose one with --budget (${ledgers.map((l) => `'${l.budgetPath}'`).join(', ')}).`);
  }
  return ledgers[0];
}

/** What makes `--pools-from` one size for every pool rather than an assembly. */
const POOL_SIZE_PREFIX = 'size:';

/** The pool sizes `--pools-from` replays: `size:N` for every pool, or those of the same budget in another assembly. */
function poolSource(value: string | undefined, ledger: LedgerJson): ((c: LedgerConsumerJson) => number | undefined) | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (value.startsWith(POOL_SIZE_PREFIX)) {
    const digits = value.slice(POOL_SIZE_PREFIX.length);
    const n = Number(digits);
    if (!/^\d+$/.test(digits) || !Number.isSafeInteger(n) || n < 1) {
      throw new UsageError(`--pools-from size:N needs N of at least 1, got '${value}'. N is a whole number: the pool size every consumer gets `
        + `(to replay the pools of an assembly named like this, write './${value}').`);
    }
    return () => n;
  }
  const other = readBudgets(value).budgets.map((b) => b.ledger).find((l) => l.budgetPath === ledger.budgetPath);
  if (!other) {
    throw new InputError(`--pools-from '${value}' has no ledger for budget '${ledger.budgetPath}'.`);
  }
  const sizes = new Map(other.consumers.map((c) => [c.path, c.pool.size]));
  return (c) => sizes.get(c.path);
}

/**
 * What an unknown option may be taken for: the command's options (the command is the first argument not an option), and
 * the others with the commands that take them. Without a command, any option.
 */
function suggestible(argv: readonly string[]): [readonly string[], ReadonlyMap<string, string>] {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === undefined || !isCommand(command)) return [Object.keys(OPTIONS), new Map()];
  const own = [...COMMON_OPTIONS, ...COMMAND_OPTIONS[command]];
  const others = (Object.keys(OPTIONS) as OptionName[]).filter((o) => !own.includes(o)).map((o): [string, string] => {
    const takers = (Object.keys(COMMAND_OPTIONS) as Command[]).filter((c) => COMMAND_OPTIONS[c].includes(o));
    return [o, listOf(takers, 'and')];
  });
  return [own, new Map(others)];
}

function isCommand(name: string): name is Command {
  return Object.prototype.hasOwnProperty.call(COMMAND_OPTIONS, name);
}

function parseFormat(value: string | undefined): Format {
  if (value === undefined) {
    return 'text';
  }
  if (!Object.prototype.hasOwnProperty.call(FORMATS, value)) {
    throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}, got '${value}'.`);
  }
  return value as Format;
}

function parseNumber(name: string, value: string | undefined, whole: boolean): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (whole && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${whole ? 'a whole number' : 'a number'} of at least 0, got '${value}'.`);
  }
  return n;
}

/** The verified budgets of sources that must each hold at least one: a source without any is the wrong directory. */
function requireLedgers(sources: readonly BudgetSource[]): readonly LedgerJson[] {
  requireUnsplitApps(sources, 'assembly');
  requireWholeApps(sources);
  const empty = sources.find((source) => source.budgets.length === 0);
  if (empty) {
    throw new InputError(`no connection budget ledger in ${describeSource(empty)}. `
      + 'Synthesize an app that uses ConnectionBudget or BudgetedDatabase (cdk synth), and pass the directory it wrote.');
  }
  return verifiedLedgers(combineBudgets(sources));
}

/** Whether a budget, or an allocation joined across the apps read, has an error. */
function hasErrors(ledgers: readonly LedgerJson[], allocations: AllocationJoin): boolean {
  return errorsOf(ledgers, allocations).length > 0;
}

function errorsOf(ledgers: readonly LedgerJson[], allocations: AllocationJoin): Array<{ readonly id: string; readonly subject: string }> {
  return [...ledgers.flatMap((l) => l.problems), ...allocations.problems].filter((p) => p.level === 'error');
}

/**
 * Says why a diff exits 1 on errors of the head: a diff shows only what changed, so an error open on both sides (or one
 * the head had already) would otherwise fail it without a word.
 */
function noteHeadErrors(ledgers: readonly LedgerJson[], allocations: AllocationJoin, stderr: (text: string) => void): void {
  const errors = errorsOf(ledgers, allocations);
  if (errors.length === 0) return;
  const shown = errors.slice(0, NOTED_ERRORS).map((e) => `${e.id} of ${e.subject}`);
  const more = errors.length > NOTED_ERRORS ? ` and ${errors.length - NOTED_ERRORS} more` : '';
  stderr(forTerminal(`connection-budget: note: the head has ${errors.length === 1 ? 'an error' : `${errors.length} errors`} (${shown.join(', ')}${more}), `
    + `so diff exits 1; connection-budget report on the head shows ${errors.length === 1 ? 'it' : 'them'} in full.`) + '\n');
}

/** How many of the head's errors a diff's note names. */
const NOTED_ERRORS = 3;

function describeGuardrails(options: GuardrailOptions): string[] {
  const applied = ['no budget errors'];
  if (options.maxUtilizationPercent !== undefined) {
    applied.push(`utilization at most ${options.maxUtilizationPercent} %`);
  }
  if (options.minHeadroom !== undefined) {
    applied.push(`headroom at least ${options.minHeadroom}`);
  }
  if (options.maxIncrease !== undefined) {
    applied.push(`increase at most ${options.maxIncrease} connections`);
  }
  if (options.maxIncreasePercent !== undefined) {
    applied.push(`increase at most ${options.maxIncreasePercent} %`);
  }
  if (options.strict) {
    applied.push('no unacknowledged warnings');
  }
  if (options.failOnChange) {
    applied.push('no budget change');
  }
  return applied;
}
