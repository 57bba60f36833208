import { Check } from './check';

export const invalidValue: Check = {
  id: 'CB-INVALID-VALUE',
  level: 'error',
  summary: 'A value the budget reads from the app cannot be right: not a whole number, or outside what AWS accepts.',
  explanation:
    'A parameter or setting the service would reject or misread (max_connections \'1e3\', a proxy at 150 %) says nothing '
    + 'the budget can plan with; guessing a default instead would hide the mistake.',
  run: ({ input }) => [...(input.invalid ?? []), ...input.consumers.flatMap((c) => c.invalid ?? [])].map((value) => ({
    subject: value.path,
    message: `the ${value.what} of '${value.path}' is ${value.value}, but it must be ${value.allowed}.`,
    fix: value.fix,
  })),
};
