import * as fs from 'fs';
import * as path from 'path';
import { compareText, LEDGER_METADATA_KEY_PREFIX, LedgerFormatError, LedgerJson, parseLedger } from '../budget';

/** Input the CLI cannot use: a missing directory, a file that is not JSON, a ledger of another version. Exit code 2. */
export class InputError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** The ledgers found in a cloud assembly, a directory of templates, or one template. */
export interface LedgerSource {
  /** As the user gave it. */
  readonly location: string;
  readonly kind: 'cloud assembly' | 'template directory' | 'template';
  /** How many templates were read. */
  readonly templates: number;
  /** Sorted by budget path. */
  readonly ledgers: readonly LedgerJson[];
}

const MANIFEST_FILE = 'manifest.json';
const STACK_ARTIFACT = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY_ARTIFACT = 'cdk:cloud-assembly';

/**
 * Reads every connection budget ledger from `location`:
 * - a cloud assembly (a directory with manifest.json, such as cdk.out), nested Stage assemblies included;
 * - a directory of CloudFormation templates (`*.json`), such as ones exported from deployed stacks with
 *   `aws cloudformation get-template` (whose `TemplateBody` wrapper is unwrapped);
 * - one template file.
 * Only I/O and parsing: everything else is the core's.
 */
export function readLedgers(location: string): LedgerSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new InputError(`'${location}' does not exist. Pass a cloud assembly directory (cdk.out, written by cdk synth), a directory of templates, or a template file.`);
  }
  if (stat.isFile()) {
    return source(location, 'template', [location]);
  }
  if (fs.existsSync(path.join(location, MANIFEST_FILE))) {
    return source(location, 'cloud assembly', assemblyTemplates(location));
  }
  const templates = fs.readdirSync(location).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(location, f));
  if (templates.length === 0) {
    throw new InputError(`'${location}' is neither a cloud assembly (it has no ${MANIFEST_FILE}) nor a directory of templates (it has no .json files). `
      + 'Run cdk synth first, or pass the directory it wrote (--output).');
  }
  return source(location, 'template directory', templates);
}

function source(location: string, kind: LedgerSource['kind'], templateFiles: readonly string[]): LedgerSource {
  const fileOf = new Map<string, string>();
  const ledgers: LedgerJson[] = [];
  let templates = 0;
  for (const file of templateFiles) {
    const template = unwrapTemplate(readJson(file));
    if (!template) {
      if (kind === 'template') {
        throw new InputError(`'${file}' is not a CloudFormation template (no Resources).`);
      }
      continue;
    }
    templates += 1;
    for (const ledger of ledgersOf(template, file)) {
      const other = fileOf.get(ledger.budgetPath);
      if (other !== undefined) {
        throw new InputError(`budget '${ledger.budgetPath}' has a ledger in both '${other}' and '${file}'; pass one app's templates at a time.`);
      }
      fileOf.set(ledger.budgetPath, file);
      ledgers.push(ledger);
    }
  }
  return { location, kind, templates, ledgers: ledgers.sort((a, b) => compareText(a.budgetPath, b.budgetPath)) };
}

/** The template files of an assembly's stacks, nested assemblies (Stages) included. */
function assemblyTemplates(directory: string): string[] {
  const manifestFile = path.join(directory, MANIFEST_FILE);
  const manifest = readJson(manifestFile) as { artifacts?: Record<string, { type?: string; properties?: Record<string, unknown> }> };
  if (manifest === null || typeof manifest !== 'object' || typeof manifest.artifacts !== 'object' || manifest.artifacts === null) {
    throw new InputError(`'${manifestFile}' is not a cloud assembly manifest (no artifacts).`);
  }
  const files: string[] = [];
  for (const artifact of Object.values(manifest.artifacts)) {
    const properties = artifact.properties ?? {};
    if (artifact.type === STACK_ARTIFACT && typeof properties.templateFile === 'string') {
      files.push(path.join(directory, properties.templateFile));
    } else if (artifact.type === NESTED_ASSEMBLY_ARTIFACT && typeof properties.directoryName === 'string') {
      files.push(...assemblyTemplates(path.join(directory, properties.directoryName)));
    }
  }
  return files;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read '${file}': ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`'${file}' is not valid JSON (${(e as Error).message}); templates must be JSON, as cdk synth writes them.`);
  }
}

type Template = { Metadata?: Record<string, unknown> };

/** The template in a file's JSON, unwrapping `aws cloudformation get-template` output; undefined for other JSON. */
function unwrapTemplate(json: unknown): Template | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return undefined;
  }
  const body = (json as { TemplateBody?: unknown }).TemplateBody;
  if (body !== undefined) {
    if (typeof body === 'string') {
      try {
        return unwrapTemplate(JSON.parse(body));
      } catch {
        throw new InputError('a TemplateBody is not JSON; export templates as JSON (YAML templates are not read).');
      }
    }
    return unwrapTemplate(body);
  }
  return 'Resources' in json ? json as Template : undefined;
}

function ledgersOf(template: Template, file: string): LedgerJson[] {
  const metadata = template.Metadata ?? {};
  return Object.entries(metadata)
    .filter(([key]) => key.startsWith(LEDGER_METADATA_KEY_PREFIX))
    .map(([key, value]) => {
      try {
        return parseLedger(value, `the ledger '${key.slice(LEDGER_METADATA_KEY_PREFIX.length)}' in '${file}'`);
      } catch (e) {
        if (e instanceof LedgerFormatError) {
          throw new InputError(e.message);
        }
        throw e;
      }
    });
}
