import {
  compareText, LEDGER_METADATA_KEY_PREFIX, LEDGER_SCHEMA_VERSION, LedgerFormatError, LedgerJson, parseLedger,
} from '../budget';
import { storedLedgers } from '../template/budget-resources';
import { InputError, readTemplates, TemplateSource } from '../template/read';
import { OrphanedRecords, readRecords } from '../template/records';
import { TemplateSet } from '../template/template-set';
import { verifyLedger } from '../template/verify';

export { InputError } from '../template/read';

/** One budget as the CLI shows it. */
export interface ReadBudget {
  /**
   * Rebuilt from the templates (every figure re-derived, every problem rechecked, differences from the stored
   * ledger reported as CB-LEDGER-DIFFERS); for a schema 1 ledger, which has no inputs to rebuild from, as stored.
   */
  readonly ledger: LedgerJson;
  /** Whether the ledger was rebuilt from the templates. */
  readonly verified: boolean;
  /** The template file it was stored in. */
  readonly file: string;
  /**
   * The consumers its record names whose own records are not in these templates, with their stacks: a stack not among
   * them, or one whose template holds no record of the consumer (an earlier version, deployed before it).
   */
  readonly unrecorded: ReadonlyArray<{
    readonly path: string;
    readonly stack: string;
    readonly stackRead: boolean;
    /** Its stack's template holds no resource: a stack not deployed yet, as an exported base writes it (`{"Resources":{}}`). */
    readonly stackEmpty: boolean;
  }>;
  /** The consumers whose records were edited after synthesis: the budget rebuilt from them is not the one synthesized. */
  readonly edited: readonly string[];
}

/** The budgets found in a cloud assembly, a directory of templates, or one template. */
export interface BudgetSource {
  /** As the user gave it. */
  readonly location: string;
  readonly kind: TemplateSource['kind'];
  /** How many templates were read. */
  readonly templates: number;
  /** Sorted by budget path. */
  readonly budgets: readonly ReadBudget[];
  /**
   * Budgets of which the templates hold only consumers' records: the templates are a part of an app, without the
   * budget's own stack. Such a budget is not among `budgets`.
   */
  readonly orphaned: readonly OrphanedRecords[];
}

/**
 * Reads every budget at `location` and verifies it against the templates there: the CLI never trusts a ledger's
 * stored figures. Only I/O, parsing and the template readers: the figures are the core's.
 */
export function readBudgets(location: string): BudgetSource {
  const source = readTemplates(location);
  try {
    return verifyBudgets(location, source);
  } catch (e) {
    if (!(e instanceof RangeError && /call stack/i.test(e.message))) throw e;
    // The readers follow a template's values by recursion, as deep as Node.js's stack allows; no template CDK writes comes near.
    const deepest = source.stacks.map((stack) => ({ file: stack.file, depth: nestingDepth(stack.template) })).sort((a, b) => b.depth - a.depth)[0];
    throw new InputError(`'${deepest.file}' nests values ${deepest.depth} levels deep, more than the template readers can follow (they ran out of `
      + 'stack); no template CDK synthesizes comes near that: check what wrote this one.');
  }
}

/** How many levels of objects and arrays a parsed JSON value nests, counted without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.value === null || typeof next.value !== 'object') continue;
    deepest = Math.max(deepest, next.depth);
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return deepest;
}

function verifyBudgets(location: string, source: ReturnType<typeof readTemplates>): BudgetSource {
  const set = new TemplateSet(source.stacks);
  const fileOf = new Map<string, string>();
  const budgets: ReadBudget[] = [];
  const once = (budgetPath: string, file: string) => {
    const other = fileOf.get(budgetPath);
    if (other !== undefined) {
      throw new InputError(`budget '${budgetPath}' has a ledger in both '${other}' and '${file}'; pass one app's templates at a time.`);
    }
    fileOf.set(budgetPath, file);
  };
  // Templates of this library since record schema 1 hold records, which the budget is rebuilt from.
  const records = inputError(() => readRecords(set));
  for (const { assembled, file } of records.stored) {
    once(assembled.budgetPath, file);
    const verified = verifyLedger(assembled, set);
    budgets.push({
      ledger: verified.ledger,
      verified: true,
      file,
      edited: verified.edited,
      unrecorded: assembled.missing.map((m) => {
        const stack = set.stack(m);
        return { path: m.path, stack: m.stack, stackRead: stack !== undefined, stackEmpty: stack !== undefined && set.resourcesOf(stack).size === 0 };
      }),
    });
  }
  // Earlier ones hold the whole ledger (schema 1 to 4): its figures are compared with the templates too.
  for (const { key, value, file } of storedLedgers(set, LEDGER_METADATA_KEY_PREFIX)) {
    const stored = inputError(() => parseLedger(value, `the ledger '${key}' in '${file}'`));
    once(stored.budgetPath, file);
    budgets.push(stored.inputs
      ? { ledger: verifyLedger(stored, set).ledger, verified: true, file, unrecorded: [], edited: [] }
      : { ledger: stored, verified: false, file, unrecorded: [], edited: [] });
  }
  return {
    location,
    kind: source.kind,
    templates: source.stacks.length,
    budgets: budgets.sort((a, b) => compareText(a.ledger.budgetPath, b.ledger.budgetPath)),
    // A budget stored whole (schema 4 and before) is there, whatever records of its consumers newer stacks hold.
    orphaned: records.orphaned.filter((o) => !fileOf.has(o.budgetPath)),
  };
}

/**
 * The budgets of several sources, each read and verified against its own templates, as one list sorted by budget path.
 * Apps are joined by budget path (a team's ledger names its owning budget's), so a path may be in one source only.
 */
export function combineBudgets(sources: readonly BudgetSource[]): ReadBudget[] {
  const seen = new Map<string, { file: string; location: string }>();
  for (const source of sources) {
    for (const { ledger, file } of source.budgets) {
      const other = seen.get(ledger.budgetPath);
      if (other !== undefined) {
        throw new InputError(`budget '${ledger.budgetPath}' has a ledger in both '${other.file}' (of '${other.location}') and '${file}' (of '${source.location}'); `
          + 'apps are joined by budget path, so pass each app once, and give budgets in different apps different construct paths.');
      }
      seen.set(ledger.budgetPath, { file, location: source.location });
    }
  }
  return sources.flatMap((s) => s.budgets).sort((a, b) => compareText(a.ledger.budgetPath, b.ledger.budgetPath));
}

/**
 * The budgets a command judges (report, check, the head of a diff): each must be verifiable, since a figure that
 * cannot be checked against the templates proves nothing.
 */
export function verifiedLedgers(budgets: readonly ReadBudget[]): LedgerJson[] {
  const unverified = budgets.filter((b) => !b.verified);
  if (unverified.length > 0) {
    throw new InputError(`${unverified.map((b) => `budget '${b.ledger.budgetPath}' in '${b.file}'`).join(', ')} was written with ledger schema version `
      + `${unverified[0].ledger.schemaVersion} by an earlier cdk-connection-budget, which records too little to check its figures against the templates `
      + `(this version writes ${LEDGER_SCHEMA_VERSION}). Synthesize the app with this version; an older ledger is read only as the base of a diff.`);
  }
  return budgets.map((b) => b.ledger);
}

/** Runs a reader of stored records or ledgers; a value it cannot read is the user's input to fix (exit 2). */
function inputError<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof LedgerFormatError) throw new InputError(e.message);
    throw e;
  }
}
