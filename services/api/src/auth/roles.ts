import type { ApiRole, Shipment } from '@coldchain/store';
import { ApiError } from '../http/api-error.js';
import type { Caller } from '../http/app-env.js';

/** Refuses (403) a caller whose role is not among `roles`. */
export function requireRole(caller: Caller, ...roles: ApiRole[]): void {
  if (!roles.includes(caller.user.role))
    throw new ApiError('forbidden', `this needs the role ${roles.join(' or ')}; you are ${caller.user.role}`);
}

/** Whether the caller may see this shipment: everyone but a shipper; a shipper only its own. */
export function canSeeShipment(caller: Caller, shipment: Pick<Shipment, 'shipper'>): boolean {
  return caller.user.role !== 'shipper' || shipment.shipper === caller.user.shipper;
}

/** The shipper name a caller is bound to, or undefined when it sees every shipper's. */
export function shipperScope(caller: Caller): string | undefined {
  return caller.user.role === 'shipper' ? (caller.user.shipper ?? '\u0000') : undefined;
}
