import { Check } from './check';

export const variableOverwritten: Check = {
  id: 'CB-VARIABLE-OVERWRITTEN',
  level: 'error',
  summary: 'A pool variable the budget delivers deploys with another value.',
  explanation:
    'The budget counts the pool size it delivers; a later addEnvironment, an override or a secret of the same name makes the '
    + 'consumer open a pool the budget never counted.',
  run: ({ input }) => (input.overwrittenVariables ?? []).map((v) => ({
    subject: v.consumer,
    message: `${v.holder} deploys ${v.name} as ${v.deployed}, but the budget delivered '${v.budget}' and counts that.`,
    fix: `Remove the other assignment of ${v.name} (addEnvironment, an override, a secret); to change the pool, change the consumer's options where it is registered.`,
  })),
};
