import * as fs from 'fs';
import { AllocationRecordError, LedgerJson, parseAllocationRecord, RecordGrant } from '../budget';
import { InputError } from './read-budgets';

/**
 * The allocation records in `files` (`--allocation-record`), each what `aws ssm get-parameter --query Parameter.Value
 * --output text` prints, as grants to join the teams among `ledgers` to. A record stands in for its owning app: one
 * whose owning budget is among `ledgers`, or a second record of the same allocation, would give an allocation two
 * figures, so both are refused.
 */
export function readAllocationRecords(files: readonly string[], ledgers: readonly LedgerJson[]): RecordGrant[] {
  const grants: RecordGrant[] = [];
  for (const file of files) {
    const where = `the allocation record file '${file}'`;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read ${where}: ${(e as Error).message}`);
    }
    let grant: RecordGrant;
    try {
      const record = parseAllocationRecord(text, where);
      grant = { owningBudgetPath: record.budgetPath, name: record.allocation, allocated: record.connections, recordFile: file };
    } catch (e) {
      if (e instanceof AllocationRecordError) throw new InputError(e.message);
      throw e;
    }
    const allocation = `the allocation '${grant.name}' of '${grant.owningBudgetPath}'`;
    if (ledgers.some((l) => l.budgetPath === grant.owningBudgetPath)) {
      throw new InputError(`${where} holds ${allocation}, whose owning budget is among the assemblies read: its ledger already says what it grants. `
        + 'Pass the owning app\'s assembly or the record, not both.');
    }
    const other = grants.find((g) => g.owningBudgetPath === grant.owningBudgetPath && g.name === grant.name);
    if (other) {
      throw new InputError(`'${other.recordFile}' and '${file}' both hold ${allocation}; pass one record per allocation.`);
    }
    grants.push(grant);
  }
  return grants;
}
