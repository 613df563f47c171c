import type { MetadataStore, Shipment } from '@coldchain/store';
import { canSeeShipment } from '../auth/roles.js';
import { notFound } from './api-error.js';
import type { Caller } from './app-env.js';

/**
 * The shipment if the caller may see it. Another shipper's shipment is a 404 exactly like one
 * that does not exist, so a shipper cannot learn which ids exist.
 */
export async function visibleShipment(store: MetadataStore, caller: Caller, id: string): Promise<Shipment> {
  const shipment = await store.getShipment(id);
  if (!shipment || !canSeeShipment(caller, shipment)) throw notFound(`shipment ${id}`);
  return shipment;
}
