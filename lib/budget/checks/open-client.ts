import { Check } from './check';

export const openClient: Check = {
  id: 'CB-OPEN-CLIENT',
  level: 'error',
  summary: 'A reservation lists every address (0.0.0.0/0 or ::/0) among its clients.',
  explanation:
    'The budget gives a reservation\'s clients ingress to the proxy or the database: a range of every address opens it to anything that '
    + 'can route to it, and connections from clients nobody named are exactly the ones a budget cannot count.',
  run: ({ input }) => (input.openClients ?? []).map((client) => ({
    subject: input.path,
    message: `reservation '${client.reservation}' lists ${describeRange(client.range)} among its clients, so the budget lets any address reach '${client.targetPath}'.`,
    fix: `Name the clients of reservation '${client.reservation}' by their security groups, or by the narrowest range they connect from (a VPC's or an office's CIDR).`,
  })),
};

/** Whether a CIDR range is every address: a prefix length of 0 leaves no bit fixed, whatever the address before it. */
export function isOpenRange(range: string): boolean {
  return /\/0$/.test(range.trim());
}

/** A CIDR range for messages, saying so when it is every address: `0.0.0.0/0 (every IPv4 address)`. */
export function describeRange(range: string): string {
  return isOpenRange(range) ? `${range} (every ${range.includes(':') ? 'IPv6' : 'IPv4'} address)` : range;
}
