/**
 * The identity of the alert a shipment's excursion raises: one alert per excursion per custody leg. The
 * ingest stores its alerts under this key and a shipment's excursions name theirs by it, so an excursion
 * in a report and the alert an operator acknowledged are found one from the other.
 */
export function alertKey(shipmentId: string, legId: number, excursionKey: string): string {
  return `${shipmentId}:${legId}:${excursionKey}`;
}
