import { Check } from './check';

/** The fix of a difference that names none of its own: a value set around the construct. */
export const LEDGER_DIFFERS_FIX = 'Set the value through the construct, not an override or an Aspect after synthesis planning, so the budget counts it; never edit '
  + 'a synthesized ledger.';

export const ledgerDiffers: Check = {
  id: 'CB-LEDGER-DIFFERS',
  level: 'error',
  summary: 'The ledger stored in the template gives a figure the templates do not.',
  explanation:
    'The budget is checked on what deploys: a figure changed after the budget was computed (an override, an Aspect) or a ledger '
    + 'edited by hand would let a budget pass that the deployed resources exceed.',
  run: ({ input }) => (input.ledgerDifferences ?? []).map((d) => ({
    subject: d.subject,
    message: `the ledger gives ${d.what} as ${d.ledger}, but the templates give ${d.templates}.`,
    fix: d.fix ?? LEDGER_DIFFERS_FIX,
  })),
};
