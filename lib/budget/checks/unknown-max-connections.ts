import { ENGINE_NAMES } from '../capacity';
import { Check } from './check';

export const unknownMaxConnections: Check = {
  id: 'CB-UNKNOWN-MAX-CONNECTIONS',
  level: 'error',
  summary: 'max_connections cannot be determined.',
  explanation: 'Without a limit there is no budget: the class has no published default or memory size, or the database is not defined in this app.',
  run: ({ path, maxConnections, input }) => {
    if (maxConnections || input.unresolved.length > 0 || (input.invalid ?? []).length > 0) {
      return [];
    }
    const { engine, instances } = input.capacity;
    const unknown = instances
      .filter((i) => i.parameterGroupMaxConnections === undefined)
      .map((i) => `'${i.path}' (${i.sizing?.kind === 'provisioned' ? i.sizing.instanceClass : i.sizing?.kind === 'serverless-v2' ? `Serverless v2 up to ${i.sizing.maxCapacityAcu} ACU` : 'no instance class'})`);
    const why = instances.length === 0
      ? 'no database instance of it is defined in this app'
      : `the budget knows no ${ENGINE_NAMES[engine]} default for ${unknown.join(', ')}`;
    return [{
      subject: path,
      message: `max_connections cannot be determined: ${why}.`,
      fix: 'Set max_connections explicitly in the database\'s parameter group, or pass maxConnections to the budget.',
    }];
  },
};
