import { Check } from './check';

export const wrongRoute: Check = {
  id: 'CB-WRONG-ROUTE',
  level: 'error',
  summary: 'A consumer connects somewhere else than where the budget counts it.',
  explanation:
    'A consumer counted through the proxy that connects to the database endpoint takes connections beside the proxy\'s ceiling, '
    + 'so the proxy at its ceiling plus this consumer can exceed max_connections; one counted as a direct client that connects to '
    + 'the proxy takes from a ceiling nothing kept for it.',
  run: ({ input }) => (input.misroutedConsumers ?? []).map((m) => ({
    subject: m.consumer,
    message: `'${m.consumer}' is counted ${m.route === 'proxy' ? 'through the proxy' : 'as a direct client of the database'} '${m.countedAt}', `
      + `but ${m.holder} sets ${m.name} to the endpoint of '${m.pointsAt}'.`,
    fix: m.route === 'proxy'
      ? `Point ${m.name} at the proxy's endpoint (the budget delivers it with the pool), or register '${m.consumer}' with bypassProxy: true and a fixed pool.`
      : `Point ${m.name} at the database's endpoint, or register '${m.consumer}' without bypassProxy.`,
  })),
};
