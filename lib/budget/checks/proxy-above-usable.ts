import { deriveMaxConnectionsPercent } from '../capacity';
import { describeMaxConnections } from '../describe';
import { Check } from './check';

export const proxyAboveUsable: Check = {
  id: 'CB-PROXY-ABOVE-USABLE',
  level: 'warning',
  summary: 'RDS Proxy may open more connections than the database has for ordinary users.',
  explanation:
    'A proxy allowed more than the usable connections can take the slots kept for admins, migrations and direct clients; '
    + 'deriving MaxConnectionsPercent from the budget keeps them free.',
  onePerSubject: true,
  run: ({ capacity }) => {
    const forProxy = capacity ? capacity.usable + capacity.reservedThroughProxy : 0;
    if (!capacity?.proxy || capacity.usable < 0 || capacity.proxy.ceiling <= forProxy) {
      return [];
    }
    const m = capacity.maxConnections.value;
    const fitting = deriveMaxConnectionsPercent(m, capacity.usable, capacity.reservedThroughProxy);
    return [{
      subject: capacity.proxy.path,
      message: `the proxy '${capacity.proxy.path}' may open ${capacity.proxy.ceiling} connections (${describeMaxConnections(capacity.maxConnections, capacity.engine)} `
        + `× ${capacity.proxy.maxConnectionsPercent} %), more than the ${forProxy} left for it after the engine reserve, direct reservations and direct clients.`,
      fix: Math.floor((100 * forProxy) / m) >= 1
        ? `Set the proxy's maxConnectionsPercent to ${fitting} (floor(100 × ${forProxy} / ${m})), or let BudgetedDatabase derive it.`
        : 'Lower the reservations or raise max_connections.',
    }];
  },
};
