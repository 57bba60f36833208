import { literalsIn, literalText, referencesIn } from './intrinsics';

/** One stack's synthesized (or deployed) template. */
export interface StackTemplate {
  /** Construct path of the stack (a cloud assembly's display name); undefined for an exported template. */
  readonly path?: string;
  /** The CloudFormation stack name. */
  readonly name: string;
  /** The file it was read from, for messages. */
  readonly file: string;
  readonly template: Readonly<Record<string, unknown>>;
  /** The construct path of each resource's L1, by logical ID, as a cloud assembly records it. @default - none */
  readonly l1Paths?: L1Paths;
  /**
   * Where exports and stack names are unique: the cloud assembly (a Stage's) the stack belongs to. Two Stages may
   * deploy stacks of one name to two accounts. @default - one scope for every stack
   */
  readonly scope?: string;
  /**
   * Construct paths of the stacks this one depends on, which deploy before it (a cloud assembly's manifest, or the app's
   * construct tree). @default - unknown: exported templates record no stack dependencies
   */
  readonly dependencies?: readonly string[];
  /** For a nested stack: the parent stack and the logical ID of the AWS::CloudFormation::Stack that creates it. @default - not nested */
  readonly parent?: { readonly stack: StackTemplate; readonly logicalId: string };
}

/** Construct paths of L1s by logical ID. */
export interface L1Paths {
  get(logicalId: string): string | undefined;
}

/** A resource of a template. */
export interface TemplateResource {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: unknown;
}

/** Where a stack is and which of its resources: how a ledger names a resource. */
export interface ResourceLocation {
  /** Construct path of the stack. */
  readonly stack: string;
  /** CloudFormation name of the stack. */
  readonly stackName: string;
  readonly logicalId: string;
}

/** What a reference leads to once cross-stack exports and stack outputs are followed. */
export type Target =
  | { readonly kind: 'resource'; readonly resource: TemplateResource; readonly attribute?: string }
  | { readonly kind: 'unknown'; readonly text: string };

/** How deep exports may lead to exports: more is a cycle or a mistake, not a template. */
const MAX_REFERENCE_DEPTH = 8;

/** The path of the L1 construct behind a resource, when the reader knows the app's construct tree. */
export type L1PathOf = (resource: TemplateResource) => string | undefined;

/**
 * The templates of an app (or of a stage's deployed stacks), with every reference between them resolvable:
 * `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::ImportValue` (strong cross-stack references) and `Fn::GetStackOutput`
 * (weak ones). No aws-cdk-lib import: the CLI reads exported templates with it.
 */
export class TemplateSet {
  private readonly byPath = new Map<string, StackTemplate>();
  /** Top-level stacks by scope, then name: two maps, so that a lookup makes no key string (the readers follow thousands of imports). */
  private readonly byName = new Map<string, Map<string, StackTemplate>>();
  /** Exports by scope, then name. */
  private readonly exports = new Map<string, Map<string, { stack: StackTemplate; value: unknown }>>();
  private readonly resourceCache = new Map<StackTemplate, ReadonlyMap<string, TemplateResource>>();
  /** identitiesIn's results by value object, with the stack the value was read in: one object may be in two stacks. */
  private readonly identityCache = new WeakMap<object, { readonly stack: StackTemplate; readonly ids: readonly string[] }>();
  /** Every resource of the set in stack order, and by type: built at the first `all`, which readers call for many types. */
  private resourceIndex?: { readonly every: readonly TemplateResource[]; readonly byType: ReadonlyMap<string, readonly TemplateResource[]> };
  /** Nested stacks by the parent stack and the logical ID of the resource that creates them. */
  private readonly nestedByResource = new Map<StackTemplate, Map<string, StackTemplate>>();

  public constructor(public readonly stacks: readonly StackTemplate[], private readonly l1PathOf?: L1PathOf) {
    for (const stack of stacks) {
      if (stack.path !== undefined) this.byPath.set(stack.path, stack);
      if (!stack.parent) inScope(this.byName, stack).set(stack.name, stack);
      for (const output of Object.values(record(stack.template.Outputs))) {
        const exportName = record(record(output).Export).Name;
        if (typeof exportName === 'string') inScope(this.exports, stack).set(exportName, { stack, value: record(output).Value });
      }
      if (stack.parent) this.nestedByResource.set(stack.parent.stack, new Map([...(this.nestedByResource.get(stack.parent.stack) ?? []), [stack.parent.logicalId, stack]]));
    }
  }

  /** The stack a ledger names: by construct path in an assembly, by stack name among exported templates. */
  public stack(location: Pick<ResourceLocation, 'stack' | 'stackName'>): StackTemplate | undefined {
    return this.byPath.get(location.stack) ?? this.stacks.find((s) => !s.parent && s.name === location.stackName);
  }

  /** The resources of a stack, by logical ID. */
  public resourcesOf(stack: StackTemplate): ReadonlyMap<string, TemplateResource> {
    let resources = this.resourceCache.get(stack);
    if (!resources) {
      resources = new Map(Object.entries(record(stack.template.Resources)).map(([logicalId, body]) => [logicalId, {
        stack, logicalId, type: String(record(body).Type ?? ''), properties: record(body).Properties ?? {},
      }]));
      this.resourceCache.set(stack, resources);
    }
    return resources;
  }

  /** A resource a ledger names. */
  public resource(location: ResourceLocation): TemplateResource | undefined {
    const stack = this.stack(location);
    return stack && this.resourcesOf(stack).get(location.logicalId);
  }

  /** Every resource of the set, optionally of one type. */
  public all(type?: string): TemplateResource[] {
    if (!this.resourceIndex) {
      const every = this.stacks.flatMap((stack) => [...this.resourcesOf(stack).values()]);
      const byType = new Map<string, TemplateResource[]>();
      for (const resource of every) {
        const ofType = byType.get(resource.type);
        if (ofType) ofType.push(resource);
        else byType.set(resource.type, [resource]);
      }
      this.resourceIndex = { every, byType };
    }
    return [...(type === undefined ? this.resourceIndex.every : this.resourceIndex.byType.get(type) ?? [])];
  }

  /** Where every reference inside `value` (written in `stack`) leads. */
  public targets(stack: StackTemplate, value: unknown, depth = 0): Target[] {
    if (depth > MAX_REFERENCE_DEPTH) {
      return [{ kind: 'unknown', text: 'a chain of exports too deep to follow' }];
    }
    const found: Target[] = [];
    for (const reference of referencesIn(value)) {
      if (reference.kind === 'resource') {
        const resource = this.resourcesOf(stack).get(reference.logicalId);
        if (resource) {
          // A nested stack's output, read by its parent: follow it into the nested template.
          const nested = resource.type === 'AWS::CloudFormation::Stack' ? this.nestedByResource.get(stack)?.get(resource.logicalId) : undefined;
          const output = nested && reference.attribute?.startsWith('Outputs.') ? record(record(nested.template.Outputs)[reference.attribute.slice('Outputs.'.length)]) : undefined;
          if (nested && output && 'Value' in output) append(found, this.targets(nested, output.Value, depth + 1));
          else found.push({ kind: 'resource', resource, attribute: reference.attribute });
          continue;
        }
        // A nested stack's parameter is whatever its parent passes; any other parameter is chosen at deploy time.
        const passed = stack.parent && record(record(this.resourcesOf(stack.parent.stack).get(stack.parent.logicalId)?.properties).Parameters)[reference.logicalId];
        if (stack.parent && passed !== undefined) append(found, this.targets(stack.parent.stack, passed, depth + 1));
        else found.push({ kind: 'unknown', text: `parameter '${reference.logicalId}' of stack '${stack.path ?? stack.name}'` });
      } else if (reference.kind === 'import') {
        const name = literalText(reference.exportName);
        const exported = name === undefined ? undefined : this.exports.get(scopeOf(stack))?.get(name);
        if (exported) append(found, this.targets(exported.stack, exported.value, depth + 1));
        else found.push({ kind: 'unknown', text: `export '${name ?? 'computed at deploy time'}'` });
      } else {
        const stackName = literalText(reference.stackName);
        const outputName = literalText(reference.outputName);
        const producer = stackName === undefined ? undefined : this.byName.get(scopeOf(stack))?.get(stackName);
        const output = producer && outputName !== undefined ? record(record(producer.template.Outputs)[outputName]) : undefined;
        if (producer && output && 'Value' in output) append(found, this.targets(producer, output.Value, depth + 1));
        else found.push({ kind: 'unknown', text: `output '${outputName}' of stack '${stackName}'` });
      }
    }
    return found;
  }

  /**
   * What a value denotes, comparable across stacks: `resource:<stack>|<logicalId>` for a reference to a
   * resource (a security group's Ref and GroupId are one group; a VPC's DefaultSecurityGroup is another), `literal:<text>`
   * for a plain string; undefined when it is neither (a parameter, an export outside the set).
   */
  public identityOf(stack: StackTemplate, value: unknown): string | undefined {
    const text = literalText(value);
    if (text !== undefined) {
      return textIdentity(text);
    }
    const targets = this.targets(stack, value);
    return targets.length === 1 && targets[0].kind === 'resource' ? attributeIdentity(targets[0].resource, targets[0].attribute) : undefined;
  }

  /**
   * Every identity a value (written in `stack`) refers to: the resources its references lead to, and every
   * literal string in it (an imported security group is a literal ID). Cached per value object and stack, so scanning the
   * whole set for who refers to what stays linear.
   */
  public identitiesIn(stack: StackTemplate, value: unknown): readonly string[] {
    const cacheable = typeof value === 'object' && value !== null;
    const cached = cacheable ? this.identityCache.get(value) : undefined;
    if (cached?.stack === stack) return cached.ids;
    const ids = new Set(this.resourceIdentitiesIn(stack, value));
    for (const text of literalsIn(value)) ids.add(textIdentity(text));
    const result = [...ids];
    if (cacheable) this.identityCache.set(value, { stack, ids: result });
    return result;
  }

  /** The identities of the resources the references inside a value (written in `stack`) lead to, each once, uncached. */
  public resourceIdentitiesIn(stack: StackTemplate, value: unknown): string[] {
    const ids = new Set<string>();
    for (const target of this.targets(stack, value)) {
      if (target.kind === 'resource') ids.add(attributeIdentity(target.resource, target.attribute));
    }
    return [...ids];
  }

  /**
   * The path of the construct that owns a resource (the L2 around the L1, as synth messages name it), or where
   * it is: `logical ID 'X' in stack 'Y'`. The L1's path comes from the app's construct tree when the reader has
   * it, else from the `aws:cdk:path` metadata that `cdk synth` writes into the template, else (synthesized without
   * path metadata) from the cloud assembly's record of logical IDs.
   */
  public pathOf(resource: TemplateResource): string {
    const l1Path = this.l1Path(resource);
    return l1Path === undefined ? this.whereIs(resource) : ownerOf(l1Path, resource.stack.path);
  }

  /** The path of the L1 itself (a security group rule is its own construct), or where the resource is. */
  public ruleOf(resource: TemplateResource): string {
    return this.l1Path(resource) ?? this.whereIs(resource);
  }

  private l1Path(resource: TemplateResource): string | undefined {
    const fromMetadata = record(record(record(resource.stack.template.Resources)[resource.logicalId]).Metadata)['aws:cdk:path'];
    return this.l1PathOf?.(resource) ?? (typeof fromMetadata === 'string' ? fromMetadata : resource.stack.l1Paths?.get(resource.logicalId));
  }

  private whereIs(resource: TemplateResource): string {
    return `logical ID '${resource.logicalId}' in stack '${resource.stack.path ?? resource.stack.name}'`;
  }
}

/** Adds `items` to `list` one by one: a spread passes each as an argument, and over about 125,000 exceeds the stack. */
function append<T>(list: T[], items: readonly T[]): void {
  for (const item of items) list.push(item);
}

/** Where the names (exports, stack names) a stack uses are unique: its top-level stack's scope. */
function scopeOf(stack: StackTemplate): string {
  return rootOf(stack).scope ?? '';
}

/** The names of a map of scopes within a stack's scope, made when first asked. */
function inScope<T>(byScope: Map<string, Map<string, T>>, stack: StackTemplate): Map<string, T> {
  const scope = scopeOf(stack);
  let names = byScope.get(scope);
  if (!names) {
    names = new Map();
    byScope.set(scope, names);
  }
  return names;
}

/** The top-level stack a nested stack belongs to. */
function rootOf(stack: StackTemplate): StackTemplate {
  return stack.parent ? rootOf(stack.parent.stack) : stack;
}

/**
 * Attributes that denote another thing than their resource: a VPC's default security group is a security group of
 * its own, its CIDR blocks are address ranges. Any other attribute is the resource (a group's Ref and GroupId).
 */
const DISTINCT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  'AWS::EC2::VPC': ['DefaultSecurityGroup', 'DefaultNetworkAcl', 'CidrBlock', 'CidrBlockAssociations', 'Ipv6CidrBlocks'],
};

const LITERAL_IDENTITY_PREFIX = 'literal:';

/** The identity of a literal string (a security group ID written as text), as identityOf returns it. */
export function textIdentity(text: string): string {
  return `${LITERAL_IDENTITY_PREFIX}${text}`;
}

/** The literal string an identity is of (textIdentity's inverse); undefined for a resource's identity. */
export function identityText(id: string): string | undefined {
  return id.startsWith(LITERAL_IDENTITY_PREFIX) ? id.slice(LITERAL_IDENTITY_PREFIX.length) : undefined;
}

/** The identity of a resource, as identityOf returns it. */
export function identity(resource: TemplateResource): string {
  let id = identities.get(resource);
  if (id === undefined) {
    id = `resource:${resource.stack.path ?? resource.stack.name}|${resource.logicalId}`;
    identities.set(resource, id);
  }
  return id;
}

/**
 * Each resource's identity, made once: the hole checks look up every actor's and every consumer's in sets, and a string
 * made again is hashed again.
 */
const identities = new WeakMap<TemplateResource, string>();

/** The identity of what an attribute of a resource denotes: the resource's own, or another thing's (DISTINCT_ATTRIBUTES). */
export function attributeIdentity(resource: TemplateResource, attribute: string | undefined): string {
  const distinct = attribute !== undefined && DISTINCT_ATTRIBUTES[resource.type]?.includes(attribute);
  return distinct ? `${identity(resource)}.${attribute}` : identity(resource);
}

/** A value as a record; anything else as an empty one. */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

/** The L2 around an L1 (its parent), or the L1 itself when its parent is the stack. */
export function ownerOf(l1Path: string, stackPath: string | undefined): string {
  const slash = l1Path.lastIndexOf('/');
  const parent = slash < 0 ? l1Path : l1Path.slice(0, slash);
  return slash < 0 || parent === stackPath ? l1Path : parent;
}
