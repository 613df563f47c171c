import type { HistoryWindow } from '@coldchain/influx';
import type { CustodyLeg, RevisionExcursion, Shipment, ShipmentReceipt } from '@coldchain/store';

/**
 * GS1 EPCIS 2.0 (JSON-LD binding, EPCIS 2.0 §9 and the CBV 2.0 vocabulary): a shipment's history as
 * ObjectEvents that partners' systems read. Each hour of each custody leg with readings is one
 * `sensor_reporting` event whose `sensorElementList` holds that window's min/max/mean per sensor
 * (`Temperature` in `CEL`, `RelativeHumidity` in `P1`, percent), with the leg's device as
 * `deviceID` and the window as `startTime`/`endTime`; each excursion is an event whose report
 * carries `exception: ALARM_CONDITION`; each handover (and the consignee's receipt) is an event
 * at its place as read point. Identifiers are URNs of this system (`urn:coldchain:…`), as
 * EPCIS allows any URI where the goods carry no GS1 keys. Fields of our own are namespaced `cc:`.
 */
export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';
const CC_NAMESPACE = 'urn:coldchain:vocab:';

const urn = (kind: string, id: string | number) => `urn:coldchain:${kind}:${encodeURIComponent(String(id))}`;
const iso = (ms: number) => new Date(ms).toISOString();

export interface EpcisInput {
  shipment: Shipment;
  legs: readonly CustodyLeg[];
  /** Hourly windows per leg id (see `readLegWindows`). */
  windowsByLeg: ReadonlyMap<number, readonly HistoryWindow[]>;
  excursions: readonly (RevisionExcursion & { holder: string })[];
  receipt: ShipmentReceipt | null;
  creationMs: number;
}

type EpcisEvent = Record<string, unknown>;

function baseEvent(shipment: Shipment, atMs: number, bizStep: string, readPoint: string): EpcisEvent {
  return {
    type: 'ObjectEvent',
    eventTime: iso(atMs),
    eventTimeZoneOffset: '+00:00',
    epcList: [urn('shipment', shipment.id)],
    action: 'OBSERVE',
    bizStep,
    readPoint: { id: readPoint },
  };
}

function sensorReports(window: HistoryWindow): EpcisEvent[] {
  const reports: EpcisEvent[] = [];
  for (const [sensor, stats] of Object.entries(window.sensors).sort(([a], [b]) => a.localeCompare(b))) {
    if (stats.count === 0 || stats.min === null || stats.max === null || stats.mean === null) continue;
    const humidity = sensor === 'rh';
    reports.push({
      type: humidity ? 'RelativeHumidity' : 'Temperature',
      minValue: stats.min,
      maxValue: stats.max,
      meanValue: stats.mean,
      uom: humidity ? 'P1' : 'CEL',
      ...(humidity ? {} : { 'cc:sensor': sensor }),
      'cc:count': stats.count,
    });
  }
  return reports;
}

export function buildEpcisDocument(input: EpcisInput): Record<string, unknown> {
  const { shipment } = input;
  const events: EpcisEvent[] = [];
  const legs = [...input.legs].sort((a, b) => a.fromMs - b.fromMs);
  for (const leg of legs) {
    const device = urn('device', leg.deviceId);
    events.push({
      ...baseEvent(shipment, leg.fromMs, 'receiving', leg.place ? urn('place', leg.place) : device),
      sourceList: leg.handedOverBy ? [{ type: 'owning_party', source: urn('party', leg.handedOverBy) }] : [],
      destinationList: [{ type: 'possessing_party', destination: urn('party', leg.holder) }],
      ...(leg.handoverTempC === null
        ? {}
        : {
            sensorElementList: [
              {
                sensorMetadata: { deviceID: device, time: iso(leg.fromMs) },
                sensorReport: [{ type: 'Temperature', value: leg.handoverTempC, uom: 'CEL' }],
              },
            ],
          }),
      'cc:legId': leg.id,
    });
    for (const w of input.windowsByLeg.get(leg.id) ?? []) {
      const sensorReport = sensorReports(w);
      if (sensorReport.length === 0) continue;
      events.push({
        ...baseEvent(shipment, w.windowEnd, 'sensor_reporting', device),
        sensorElementList: [
          {
            sensorMetadata: { deviceID: device, startTime: iso(w.windowStart), endTime: iso(w.windowEnd) },
            sensorReport,
          },
        ],
        'cc:legId': leg.id,
      });
    }
    if (leg.toMs !== null && leg.endedBy !== null) {
      events.push({
        ...baseEvent(shipment, leg.toMs, 'arriving', leg.endPlace ? urn('place', leg.endPlace) : device),
        ...(leg.endTempC === null
          ? {}
          : {
              sensorElementList: [
                {
                  sensorMetadata: { deviceID: device, time: iso(leg.toMs) },
                  sensorReport: [{ type: 'Temperature', value: leg.endTempC, uom: 'CEL' }],
                },
              ],
            }),
        'cc:legId': leg.id,
      });
    }
  }
  for (const e of input.excursions) {
    const device = urn('device', e.deviceId);
    events.push({
      ...baseEvent(shipment, e.startMs, 'sensor_reporting', device),
      sensorElementList: [
        {
          sensorMetadata: {
            deviceID: device,
            startTime: iso(e.startMs),
            ...(e.endMs === null ? {} : { endTime: iso(e.endMs) }),
          },
          sensorReport: [
            {
              type: e.rule === 'humidity' ? 'RelativeHumidity' : 'Temperature',
              exception: 'ALARM_CONDITION',
              ...(e.peakValue === null ? {} : { value: e.peakValue }),
              uom: e.rule === 'humidity' ? 'P1' : 'CEL',
            },
          ],
        },
      ],
      'cc:rule': e.rule,
      'cc:severity': e.severity,
      'cc:holder': e.holder,
      'cc:legId': e.legId,
    });
  }
  const r = input.receipt;
  if (r) {
    events.push({
      ...baseEvent(
        shipment,
        r.arrivedAtMs,
        r.decision === 'accepted' ? 'accepting' : 'receiving',
        r.place ? urn('place', r.place) : urn('party', shipment.consignee),
      ),
      disposition: r.decision === 'accepted' ? 'in_progress' : 'non_conformant',
      destinationList: [{ type: 'owning_party', destination: urn('party', shipment.consignee) }],
      ...(r.arrivalTempC === null
        ? {}
        : {
            sensorElementList: [
              {
                sensorMetadata: { time: iso(r.arrivedAtMs) },
                sensorReport: [{ type: 'Temperature', value: r.arrivalTempC, uom: 'CEL' }],
              },
            ],
          }),
      'cc:decision': r.decision,
      'cc:receivedBy': r.receivedBy,
      ...(r.reason ? { 'cc:reason': r.reason } : {}),
    });
  }
  events.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
  return {
    '@context': [EPCIS_CONTEXT, { cc: CC_NAMESPACE }],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: iso(input.creationMs),
    epcisBody: { eventList: events },
  };
}
