import { MaxConnectionsSource } from './capacity';
import { maxConnectionsOrigin } from './describe';
import type { ChangeStatus } from './diff';
import { LedgerJson } from './ledger-schema';
import { compareText } from './text';

/*
 * Why a ceiling moved: the inputs of the capacity arithmetic that differ between two ledgers. A diff that shows
 * only `ceiling 145 → 127` leaves the reviewer to guess; these name the reservation or the setting that did it.
 */

/** max_connections on one side of a diff. */
export interface MaxConnectionsSide {
  readonly value: number;
  readonly source: MaxConnectionsSource;
  /** What it was read from: a parameter group path, an instance class. */
  readonly basis: string;
  /** Source and basis in words, as synth messages say them: `parameter group 'Data/Params'`, `estimated for db.t4g.micro`. */
  readonly origin: string;
}

/** The proxy's MaxConnectionsPercent on one side of a diff. */
export interface ProxyPercentSide {
  readonly maxConnectionsPercent: number;
  /** Whether the budget derived it (and wrote it into the proxy's target group). */
  readonly derived: boolean;
}

/** A named reservation on one side of a diff. */
export interface ReservationSide {
  readonly connections: number;
  readonly throughProxy: boolean;
}

/** How a cause differs: it appeared, went away, or its value changed. */
export type CauseStatus = Exclude<ChangeStatus, 'unchanged'>;

/** max_connections changed in value, source or basis. A null side: max_connections unknown, or no budget there. */
export interface MaxConnectionsCause {
  readonly kind: 'max-connections';
  readonly status: CauseStatus;
  readonly before: MaxConnectionsSide | null;
  readonly after: MaxConnectionsSide | null;
}

/** The proxy's MaxConnectionsPercent changed. A null side: no proxy, max_connections unknown, or no budget there. */
export interface ProxyPercentCause {
  readonly kind: 'proxy-max-connections-percent';
  readonly status: CauseStatus;
  readonly before: ProxyPercentSide | null;
  readonly after: ProxyPercentSide | null;
}

/** A named reservation was added, removed, or changed in connections or route. */
export interface ReservationCause {
  readonly kind: 'reservation';
  readonly name: string;
  readonly status: CauseStatus;
  readonly before: ReservationSide | null;
  readonly after: ReservationSide | null;
}

/** An input of the ceiling that differs between the base and the head. */
export type CapacityCause = MaxConnectionsCause | ProxyPercentCause | ReservationCause;

/**
 * The capacity inputs that differ, in the order the arithmetic uses them: max_connections, the proxy's
 * MaxConnectionsPercent, then each reservation, sorted by name. Empty when none differs. Pure.
 */
export function diffCapacityCauses(before: LedgerJson | undefined, after: LedgerJson | undefined): CapacityCause[] {
  const causes: CapacityCause[] = [];
  // The basis names where the value was read, which depends on how the templates were read (a deployed template has no
  // construct paths): only the value and its source are the capacity.
  const maxConnections = changeOf(maxConnectionsSide(before), maxConnectionsSide(after), (side) => side && { value: side.value, source: side.source });
  if (maxConnections) {
    causes.push({ kind: 'max-connections', ...maxConnections });
  }
  const percent = changeOf(proxyPercentSide(before), proxyPercentSide(after));
  if (percent) {
    causes.push({ kind: 'proxy-max-connections-percent', ...percent });
  }
  const reservationsBefore = reservationsOf(before);
  const reservationsAfter = reservationsOf(after);
  const names = [...new Set([...reservationsBefore.keys(), ...reservationsAfter.keys()])].sort(compareText);
  for (const name of names) {
    const reservation = changeOf(reservationsBefore.get(name) ?? null, reservationsAfter.get(name) ?? null);
    if (reservation) {
      causes.push({ kind: 'reservation', name, ...reservation });
    }
  }
  return causes;
}

/** The change between two sides built with the same key order, or undefined when what `compared` keeps of them is equal. */
function changeOf<T>(before: T | null, after: T | null, compared: (side: T | null) => unknown = (side) => side)
  : { status: CauseStatus; before: T | null; after: T | null } | undefined {
  if (JSON.stringify(compared(before)) === JSON.stringify(compared(after))) {
    return undefined;
  }
  return { status: before === null ? 'added' : after === null ? 'removed' : 'changed', before, after };
}

function maxConnectionsSide(ledger: LedgerJson | undefined): MaxConnectionsSide | null {
  const capacity = ledger?.capacity;
  if (!capacity) {
    return null;
  }
  const { value, source, basis } = capacity.maxConnections;
  return { value, source, basis, origin: maxConnectionsOrigin(capacity.maxConnections, capacity.engine) };
}

function proxyPercentSide(ledger: LedgerJson | undefined): ProxyPercentSide | null {
  const proxy = ledger?.capacity?.proxy;
  return proxy ? { maxConnectionsPercent: proxy.maxConnectionsPercent, derived: proxy.derived } : null;
}

/**
 * A ledger's reservations by name. The capacity lists the ones its arithmetic used; without a capacity
 * (max_connections unknown) a version 2 ledger still has them in its inputs, so they do not seem to come and go
 * when max_connections becomes known.
 */
function reservationsOf(ledger: LedgerJson | undefined): Map<string, ReservationSide> {
  const reservations = ledger?.capacity?.reservations ?? ledger?.inputs?.reservations ?? [];
  return new Map(reservations.map((r) => [r.name, { connections: r.connections, throughProxy: r.throughProxy }]));
}
