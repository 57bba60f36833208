/**
 * What the budget derived for a registered consumer, readable before synthesis as tokens: pass them to a sidecar, a
 * second container or the app's own configuration, and they deploy with the budget's values.
 */
export interface BudgetedConsumer {
  /**
   * The consumer's path in the budget, the ledger and messages: the resource's, `[container]` for a container other
   * than the default one, `#poolName` for a named pool set.
   */
  readonly path: string;

  /**
   * The pool maximum the budget derived (or the fixed size), per pool; a token until synthesis.
   */
  readonly poolSize: number;

  /**
   * The database user the consumer connects as (BudgetedDatabase gives each consumer its own).
   *
   * @default - none: the consumer's database gives it no user of its own
   */
  readonly databaseUser?: string;

  /**
   * Every environment variable the budget delivers to the consumer, by name, with its value; tokens until synthesis.
   */
  readonly variables: { [name: string]: string };
}
