import { connectionsPerInstance } from '../demand';
import { ceilingName } from '../describe';
import { Check } from './check';

export const unboundedLambda: Check = {
  id: 'CB-UNBOUNDED-LAMBDA',
  level: 'error',
  summary: 'A Lambda function that uses the budget has no reserved concurrency, so nothing bounds its connections.',
  explanation:
    'Lambda runs one execution environment per concurrent request, each with its own pool; without reserved concurrency '
    + 'a traffic spike scales them to the account limit and every environment opens connections.',
  run: ({ consumers, capacity, totals }) => consumers
    .filter((c) => c.input.unbounded !== undefined)
    .map((c) => {
      const perEnvironment = connectionsPerInstance(c.input.connections, c.poolSize);
      const headroom = capacity ? capacity.effectiveCeiling - totals.required : undefined;
      const fitting = headroom === undefined ? undefined : Math.floor(headroom / perEnvironment);
      const fix = fitting !== undefined && fitting >= 1
        ? `Set reservedConcurrentExecutions on '${c.input.path}': at most ${fitting} fits in the ${headroom} connections the other consumers leave `
          + `of the ${ceilingName(capacity!)} ${capacity!.effectiveCeiling} (${perEnvironment} per execution environment).`
        : `Set reservedConcurrentExecutions on '${c.input.path}', and make room for it: the other consumers leave no connections for it.`;
      return {
        subject: c.input.path,
        message: `the Lambda function '${c.input.path}' has ${c.input.unbounded}, so its execution environments, each holding up to ${perEnvironment} connections, are unbounded.`,
        fix,
      };
    }),
};
