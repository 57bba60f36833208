import { Check } from './check';

export const proxyTargetMismatch: Check = {
  id: 'CB-PROXY-TARGET-MISMATCH',
  level: 'error',
  summary: 'The budget\'s proxy does not target the budget\'s database.',
  explanation: 'The budget would compare demand with the limit of a database the consumers do not reach through this proxy.',
  run: ({ input }) => {
    const proxy = input.capacity.proxy;
    if (!proxy || proxy.targetsDatabase) {
      return [];
    }
    return [{
      subject: proxy.path,
      message: `the proxy '${proxy.path}' does not target the budget's database, so its ceiling says nothing about that database.`,
      fix: 'Pass the proxy whose proxyTarget is this database (rds.ProxyTarget.fromInstance or fromCluster), or the database that proxy targets.',
    }];
  },
};
