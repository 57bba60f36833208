import { CfnResource, CfnWaitConditionHandle, Lazy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  budgetRecord, compareText, ConsumerRecordJson, ConsumerRecordsJson, encodeIntrinsics, LedgerJson, RECORD_METADATA_KEY, RECORD_SCHEMA, RECORD_SCHEMA_VERSION,
} from '../budget';

/**
 * Writes a budget's records into the templates (lib/budget/ledger-record.ts): the budget's own on a resource of its own,
 * which deploys nothing (a wait condition handle, which CloudFormation creates without a call to any service); each
 * consumer's on the consumer's own resource. Resource Metadata, so `cdk diff` prints a change as a tree of short lines.
 */
export function writeBudgetRecord(budget: Construct, ledger: () => LedgerJson): void {
  const holder = new CfnWaitConditionHandle(budget, 'Record');
  holder.addMetadata(RECORD_METADATA_KEY, Lazy.any({ produce: () => encodeIntrinsics(budgetRecord(ledger())) }));
}

/** The records each resource carries: by budget path, then by consumer path. */
const recordsOf = new WeakMap<CfnResource, Map<string, Map<string, () => ConsumerRecordJson>>>();

/** Adds a consumer's record to its resource, beside the records of other consumers (containers, pool sets, budgets) of it. */
export function writeConsumerRecord(resource: CfnResource, budgetPath: string, consumerPath: string, record: () => ConsumerRecordJson): void {
  let budgets = recordsOf.get(resource);
  if (!budgets) {
    const created = new Map<string, Map<string, () => ConsumerRecordJson>>();
    budgets = created;
    recordsOf.set(resource, created);
    resource.addMetadata(RECORD_METADATA_KEY, Lazy.any({
      produce: (): ConsumerRecordsJson => encodeIntrinsics({
        schema: RECORD_SCHEMA,
        schemaVersion: RECORD_SCHEMA_VERSION,
        budgets: Object.fromEntries([...created].sort(([a], [b]) => compareText(a, b)).map(([path, consumers]) => [path,
          Object.fromEntries([...consumers].sort(([a], [b]) => compareText(a, b)).map(([consumer, produce]) => [consumer, produce()]))])),
      }),
    }));
  }
  const consumers = budgets.get(budgetPath) ?? new Map<string, () => ConsumerRecordJson>();
  consumers.set(consumerPath, record);
  budgets.set(budgetPath, consumers);
}
