import { Check } from './check';

export const unresolvedValue: Check = {
  id: 'CB-UNRESOLVED-VALUE',
  level: 'error',
  summary: 'A number the budget needs is unknown until deploy (a token).',
  explanation: 'A worst case cannot be computed from a value CloudFormation only knows at deploy time; the budget needs a bound.',
  run: ({ input }) => [...input.unresolved, ...input.consumers.flatMap((c) => c.unresolved)].map((value) => ({
    subject: value.path,
    message: `the ${value.what} of '${value.path}' is unknown until deploy (${value.why ?? 'a token'}), so the worst case cannot be computed.`,
    fix: value.fix,
  })),
};
