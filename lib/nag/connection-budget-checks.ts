import { CfnResource } from 'aws-cdk-lib';
import { NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { BUDGET_NAG_RULES } from './rules';

/**
 * The cdk-nag major version the pack is written for: from version 3 a NagPack is a CDK validation plugin. The package
 * lets cdk-nag 2 be installed beside it (an app may use it for other packs), so the pack refuses it here, clearly.
 */
const CDK_NAG_MAJOR_VERSION = 3;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed cdk-nag's version, read once
const installedCdkNag: string = require('cdk-nag/package.json').version;
if (Number(installedCdkNag.split('.')[0]) < CDK_NAG_MAJOR_VERSION) {
  throw new Error(`cdk-connection-budget: ConnectionBudgetChecks is a cdk-nag ${CDK_NAG_MAJOR_VERSION} rule pack (a CDK validation plugin), `
    + `and this app has cdk-nag ${installedCdkNag}; upgrade it (npm install cdk-nag@^${CDK_NAG_MAJOR_VERSION}) to use the pack. `
    + 'The connection budget itself does not need cdk-nag.');
}

/**
 * A cdk-nag 3 rule pack (a validation plugin, like AwsSolutionsChecks) whose per-resource rules complement
 * the connection budget: a proxy that may take every connection while other clients need some, max_connections
 * left to the memory formula, a Lambda that reaches a proxy without reserved concurrency, ECS deployments
 * without a circuit breaker or an explicit maximum percent, a proxy without TLS, PostgreSQL without an
 * idle-in-transaction timeout. Rule IDs are `ConnectionBudget-<Rule>`; acknowledge one with
 * `Validations.of(scope).acknowledge({ id, reason })`.
 *
 * Register it with `Validations.of(app).addPlugins(new ConnectionBudgetChecks(app))`.
 */
export class ConnectionBudgetChecks extends NagPack {
  /** The plugin's name in validation reports and acknowledgement IDs (`ConnectionBudget::<rule>`). */
  public readonly name = 'ConnectionBudget';

  public constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'ConnectionBudget';
  }

  /** Applies every rule of the pack to one resource; cdk-nag calls it for each resource of the app. */
  protected checkResource(node: CfnResource): void {
    for (const rule of BUDGET_NAG_RULES) {
      this.applyRule({
        ruleSuffixOverride: rule.suffix,
        info: rule.info,
        explanation: rule.explanation,
        level: rule.level,
        node,
        rule: rule.check,
      });
    }
  }
}
