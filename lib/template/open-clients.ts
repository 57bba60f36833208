import { isOpenRange, OpenClient } from '../budget';
import { alternatives } from './intrinsics';
import { field } from './values';

/** A reservation as the open-client reader takes it: its clients as rule sources (`{ CidrIp }`, either case, or a group). */
export interface ReservationClients {
  readonly name: string;
  /** Path of the proxy or database its clients get ingress to. */
  readonly targetPath: string;
  readonly clients: readonly unknown[];
}

/**
 * Reservation clients that are every address. Only a literal range counts: one known only at deploy (a VPC's
 * CidrBlock) is not read as open.
 */
export function openClients(reservations: readonly ReservationClients[]): OpenClient[] {
  return reservations.flatMap((reservation) => reservation.clients.flatMap((client) => ['CidrIp', 'CidrIpv6']
    .flatMap((name) => alternatives(field(client, name)))
    .filter((range): range is string => typeof range === 'string' && isOpenRange(range))
    .map((range) => ({ reservation: reservation.name, range: range.trim(), targetPath: reservation.targetPath }))));
}
