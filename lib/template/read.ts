import * as fs from 'fs';
import * as path from 'path';
import { L1Paths, StackTemplate } from './template-set';

/** Input that cannot be used: a missing directory, a file that is not JSON, a manifest pointing outside its assembly. */
export class InputError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The largest input file read: 64 MiB, sixty-four times the largest template CloudFormation accepts
 * (1 MB from S3), so a real cloud assembly file always fits and a runaway one never exhausts memory.
 */
export const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;

/** Nested cloud assemblies (Stages in Stages) deeper than this are a loop or a mistake. */
const MAX_ASSEMBLY_DEPTH = 16;

const MANIFEST_FILE = 'manifest.json';
const STACK_ARTIFACT = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY_ARTIFACT = 'cdk:cloud-assembly';
const ASSET_MANIFEST_ARTIFACT = 'cdk:asset-manifest';

/** The templates found at a location, and what the location was. */
export interface TemplateSource {
  /** As the user gave it. */
  readonly location: string;
  readonly kind: 'cloud assembly' | 'template directory' | 'template';
  readonly stacks: readonly StackTemplate[];
}

/**
 * Reads every stack template from `location`:
 * - a cloud assembly (a directory with manifest.json, such as cdk.out), nested Stage assemblies included;
 * - a directory of CloudFormation templates (`*.json`), such as ones exported from deployed stacks with
 *   `aws cloudformation get-template` (whose `TemplateBody` wrapper is unwrapped);
 * - one template file.
 * Only regular files are read, each at most MAX_INPUT_FILE_BYTES, and an assembly's manifests may only
 * name files inside the assembly.
 */
export function readTemplates(location: string): TemplateSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new InputError(`'${location}' does not exist. Pass a cloud assembly directory (cdk.out, written by cdk synth), a directory of templates, or a template file.`);
  }
  if (stat.isFile()) {
    const template = unwrapTemplate(readJsonFile(location), location);
    if (!template) {
      throw new InputError(`'${location}' is not a CloudFormation template (no Resources).`);
    }
    return { location, kind: 'template', stacks: [{ name: stackNameOfFile(location), file: location, template }] };
  }
  if (!stat.isDirectory()) {
    throw new InputError(`'${location}' is neither a directory nor a regular file; pass a cloud assembly directory, a directory of templates, or a template file.`);
  }
  if (fs.existsSync(path.join(location, MANIFEST_FILE))) {
    return { location, kind: 'cloud assembly', stacks: readAssembly(location) };
  }
  const files = fs.readdirSync(location).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(location, f));
  if (files.length === 0) {
    throw new InputError(`'${location}' is neither a cloud assembly (it has no ${MANIFEST_FILE}) nor a directory of templates (it has no .json files). `
      + 'Run cdk synth first, or pass the directory it wrote (--output).');
  }
  const stacks: StackTemplate[] = [];
  for (const file of files) {
    const template = unwrapTemplate(readJsonFile(file), file);
    if (template) stacks.push({ name: stackNameOfFile(file), file, template });
  }
  return { location, kind: 'template directory', stacks };
}

/** The stack templates of a cloud assembly directory, nested assemblies (Stages) included. */
export function readAssembly(directory: string): StackTemplate[] {
  const root = fs.realpathSync(directory);
  const stacks: StackTemplate[] = [];
  const visit = (dir: string, depth: number, seen: ReadonlySet<string>) => {
    const real = fs.realpathSync(dir);
    if (seen.has(real) || depth > MAX_ASSEMBLY_DEPTH) {
      throw new InputError(`the cloud assembly '${directory}' nests '${dir}' inside itself; its manifests form a loop.`);
    }
    const manifestFile = path.join(dir, MANIFEST_FILE);
    const manifest = readJsonFile(manifestFile) as { artifacts?: unknown };
    if (manifest === null || typeof manifest !== 'object' || typeof manifest.artifacts !== 'object' || manifest.artifacts === null) {
      throw new InputError(`'${manifestFile}' is not a cloud assembly manifest (no artifacts).`);
    }
    for (const [id, artifact] of Object.entries(manifest.artifacts as Record<string, Artifact>)) {
      const properties = artifact?.properties ?? {};
      if (artifact?.type === STACK_ARTIFACT && typeof properties.templateFile === 'string') {
        const file = inside(root, dir, properties.templateFile, manifestFile);
        const template = unwrapTemplate(readJsonFile(file), file);
        if (!template) {
          throw new InputError(`'${file}', the template of stack '${id}' in '${manifestFile}', is not a CloudFormation template (no Resources).`);
        }
        const name = typeof properties.stackName === 'string' ? properties.stackName : id;
        const stack: StackTemplate = {
          path: displayPath(id, artifact), name, file, template, scope: dir, l1Paths: l1Paths(root, dir, artifact, manifestFile),
          dependencies: stackDependencies(manifest.artifacts as Record<string, Artifact>, artifact),
        };
        stacks.push(stack, ...nestedStacks(root, dir, stack, manifest.artifacts as Record<string, Artifact>, artifact, manifestFile));
      } else if (artifact?.type === NESTED_ASSEMBLY_ARTIFACT && typeof properties.directoryName === 'string') {
        visit(inside(root, dir, properties.directoryName, manifestFile), depth + 1, new Set([...seen, real]));
      }
    }
  };
  visit(directory, 0, new Set());
  return stacks;
}

/**
 * The nested stacks of a stack: CDK writes each nested template as a file asset of its parent, so the parent's
 * asset manifest names the file and the object key that the AWS::CloudFormation::Stack's TemplateURL points at.
 */
function nestedStacks(root: string, dir: string, parent: StackTemplate, artifacts: Record<string, Artifact>, artifact: Artifact, manifestFile: string): StackTemplate[] {
  const stackResources = Object.entries((parent.template.Resources ?? {}) as Record<string, { Type?: string; Properties?: { TemplateURL?: unknown } }>)
    .filter(([, body]) => body?.Type === 'AWS::CloudFormation::Stack');
  // Most stacks nest none: their asset manifests are not read.
  if (stackResources.length === 0) return [];
  const assetArtifacts = (artifact.dependencies ?? []).map((id) => artifacts[id]).filter((a) => a?.type === ASSET_MANIFEST_ARTIFACT);
  const files = new Map<string, string>();
  for (const assets of assetArtifacts) {
    const file = assets.properties?.file;
    if (typeof file !== 'string') continue;
    const manifest = readJsonFile(inside(root, dir, file, manifestFile)) as { files?: Record<string, { source?: { path?: unknown }; destinations?: Record<string, { objectKey?: unknown }> }> };
    for (const asset of Object.values(manifest?.files ?? {})) {
      const source = asset?.source?.path;
      if (typeof source !== 'string' || !source.endsWith('.nested.template.json')) continue;
      for (const destination of Object.values(asset.destinations ?? {})) {
        if (typeof destination?.objectKey === 'string') files.set(destination.objectKey, source);
      }
    }
  }
  const nested: StackTemplate[] = [];
  for (const [logicalId, body] of stackResources) {
    const url = JSON.stringify(body.Properties?.TemplateURL ?? '');
    const key = [...files.keys()].find((objectKey) => url.includes(objectKey));
    if (key === undefined) continue;
    const file = inside(root, dir, files.get(key)!, manifestFile);
    const template = unwrapTemplate(readJsonFile(file), file);
    if (!template) continue;
    const stack: StackTemplate = { name: `${parent.name}/${logicalId}`, file, template, l1Paths: parent.l1Paths, parent: { stack: parent, logicalId } };
    nested.push(stack, ...nestedStacks(root, dir, stack, artifacts, artifact, manifestFile));
  }
  return nested;
}

/** The construct path of a stack artifact: its display name. */
function displayPath(id: string, artifact: Artifact): string {
  const name = typeof artifact.properties?.stackName === 'string' ? artifact.properties.stackName : id;
  return typeof artifact.displayName === 'string' ? artifact.displayName : name;
}

/** The stacks of the same assembly a stack artifact depends on, by construct path (asset manifests are not stacks). */
function stackDependencies(artifacts: Record<string, Artifact>, artifact: Artifact): string[] {
  return (Array.isArray(artifact.dependencies) ? artifact.dependencies : []).flatMap((id) => {
    const dependency = typeof id === 'string' ? artifacts[id] : undefined;
    return dependency?.type === STACK_ARTIFACT ? [displayPath(id, dependency)] : [];
  });
}

/** A cloud assembly manifest's artifact, as far as the reader uses it. */
interface Artifact {
  readonly type?: string;
  readonly displayName?: unknown;
  readonly properties?: Record<string, unknown>;
  /** Construct path → entries, among them `aws:cdk:logicalId`; in a file of its own in newer assemblies. */
  readonly metadata?: Record<string, unknown>;
  readonly additionalMetadataFile?: unknown;
  readonly dependencies?: readonly string[];
}

/**
 * Logical ID → construct path of the L1, from the `aws:cdk:logicalId` entries the assembly records for a stack, read
 * when first asked: a stack's metadata file lists every construct's warnings too (about 100 ms of a report at 1,000
 * consumers), and most reports name few resources.
 */
function l1Paths(root: string, dir: string, artifact: Artifact, manifestFile: string): L1Paths {
  let paths: Map<string, string> | undefined;
  return { get: (logicalId) => (paths ??= readL1Paths(root, dir, artifact, manifestFile)).get(logicalId) };
}

function readL1Paths(root: string, dir: string, artifact: Artifact, manifestFile: string): Map<string, string> {
  const metadata = typeof artifact.additionalMetadataFile === 'string'
    ? readJsonFile(inside(root, dir, artifact.additionalMetadataFile, manifestFile))
    : artifact.metadata;
  const paths = new Map<string, string>();
  for (const [constructPath, entries] of Object.entries(typeof metadata === 'object' && metadata !== null ? metadata : {})) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      if (entry?.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') paths.set(entry.data, constructPath.replace(/^\//, ''));
    }
  }
  return paths;
}

/** `relative` resolved against `dir`, refused unless it stays inside the assembly `root` (symbolic links followed). */
function inside(root: string, dir: string, relative: string, manifestFile: string): string {
  const resolvedPath = path.resolve(dir, relative);
  let real: string;
  try {
    real = fs.realpathSync(resolvedPath);
  } catch {
    throw new InputError(`'${manifestFile}' names '${relative}', which does not exist.`);
  }
  if (real !== root && !real.startsWith(`${root}${path.sep}`)) {
    throw new InputError(`'${manifestFile}' names '${relative}', which is outside the cloud assembly '${root}'; only files inside it are read.`);
  }
  return resolvedPath;
}

/** A regular file's JSON, at most MAX_INPUT_FILE_BYTES; a UTF-8 byte order mark is allowed. */
export function readJsonFile(file: string): unknown {
  let fd: number;
  try {
    // Non-blocking, so a FIFO (or a device) is refused instead of waiting for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new InputError(`cannot read '${file}': ${(e as Error).message}`);
  }
  let text: string;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      throw new InputError(`'${file}' is not a regular file (a device, a pipe or a socket); templates and manifests must be files.`);
    }
    if (stat.size > MAX_INPUT_FILE_BYTES) {
      throw new InputError(`'${file}' has ${stat.size} bytes, more than the ${MAX_INPUT_FILE_BYTES} a template or manifest may have.`);
    }
    const buffer = readBuffer(stat.size);
    let read = 0;
    while (read < stat.size) {
      const n = fs.readSync(fd, buffer, read, stat.size - read, read);
      if (n === 0) break;
      read += n;
    }
    text = buffer.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new InputError(`'${file}' is not valid JSON (${(e as Error).message}); templates must be JSON, as cdk synth writes them.`);
  }
}

/** The buffer files are read into, kept between files: only the bytes read are used, and decoded into a new string. */
let scratch: Buffer | undefined;

/**
 * A buffer of at least `size` bytes, unfilled (zeroing 7 MB of templates costs 20 ms). One buffer serves every file,
 * so a thousand-consumer app's 42 templates do not each map and fault in new memory.
 */
function readBuffer(size: number): Buffer {
  if (scratch === undefined || scratch.length < size) {
    scratch = Buffer.allocUnsafeSlow(Math.min(MAX_INPUT_FILE_BYTES, Math.max(size, scratch === undefined ? 0 : 2 * scratch.length)));
  }
  return scratch;
}

/** The template in a file's JSON, unwrapping `aws cloudformation get-template` output; undefined for other JSON. */
function unwrapTemplate(json: unknown, file: string): Record<string, unknown> | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return undefined;
  }
  const body = (json as { TemplateBody?: unknown }).TemplateBody;
  if (body !== undefined) {
    if (typeof body === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.replace(/^\uFEFF/, ''));
      } catch {
        throw new InputError(`the TemplateBody in '${file}' is not JSON; export templates as JSON (YAML templates are not read).`);
      }
      return unwrapTemplate(parsed, file);
    }
    return unwrapTemplate(body, file);
  }
  return 'Resources' in json ? json as Record<string, unknown> : undefined;
}

/** `Data.template.json` and `Data.json` (an exported template) are stack `Data`. */
function stackNameOfFile(file: string): string {
  return path.basename(file).replace(/(\.template)?\.json$/, '');
}
