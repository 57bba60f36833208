import { TlsSetting } from '../model';
import { listOf } from '../text';
import { Check, CheckContext, Finding } from './check';

export const tlsNotRequired: Check = {
  id: 'CB-TLS-NOT-REQUIRED',
  level: 'warning',
  summary: 'The proxy, or the database that clients reach directly, accepts clients without TLS, or the templates cannot tell.',
  explanation:
    'Passwords, queries and results cross the network to it; an entry point that accepts plain text leaves them readable on the '
    + 'way from any client whose driver does not insist on TLS (libpq and JDBC default to sslmode=prefer, which falls back to plain text).',
  run: (context) => {
    const { proxy, database } = context.input.tls ?? {};
    const findings: Finding[] = [];
    if (proxy && proxy.state !== 'required') {
      findings.push(finding(`the proxy '${proxy.path}'`, proxy, 'clients may connect to it in plain text'));
    }
    const direct = directClients(context);
    if (database && database.state !== 'required' && direct) {
      findings.push(finding(`the database '${database.path}'`, database, `the clients that connect to it directly (${direct}) may do so in plain text`));
    }
    return findings;
  },
};

function finding(what: string, setting: TlsSetting, consequence: string): Finding {
  return {
    subject: setting.path,
    message: setting.state === 'unknown'
      ? `whether ${what} requires TLS cannot be verified: ${setting.basis}. If it does not, ${consequence}.`
      : `${what} does not require TLS (${setting.basis}), so ${consequence}.`,
    fix: `${setting.fix}, or acknowledge CB-TLS-NOT-REQUIRED on the budget if plain text is intended.`,
  };
}

/** Who reaches the database around the proxy, for messages; undefined when only the proxy does. */
function directClients({ input, consumers }: CheckContext): string | undefined {
  if (!input.capacity.proxy) {
    return 'every client: the budget has no proxy';
  }
  const names = [
    ...consumers.filter((c) => c.direct).map((c) => `'${c.input.path}'`),
    ...input.capacity.reservations.filter((r) => !r.throughProxy).map((r) => `reservation '${r.name}'`),
  ];
  return names.length > 0 ? listOf(names, 'and') : undefined;
}
