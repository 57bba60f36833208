import { Check } from './check';

export const templatesMissing: Check = {
  id: 'CB-TEMPLATES-MISSING',
  level: 'error',
  summary: 'The templates of a stack the budget uses were not given, so the budget cannot be checked against what deploys.',
  explanation:
    'Every figure of the budget is re-derived from the templates that deploy; a ledger read without the stacks of its database or '
    + 'consumers proves nothing about them.',
  run: ({ input }) => (input.missingTemplates ?? []).map((m) => ({
    subject: m.subject,
    message: `${m.what} is in stack '${m.stack}', whose template is not among the templates read, so it cannot be checked.`,
    fix: 'Pass the whole cloud assembly (cdk.out) or every template of the app, not a part of it; a template exported from a deployed stack is read as '
      + 'the stack its file is named after (<stack name>.json).',
  })),
};
