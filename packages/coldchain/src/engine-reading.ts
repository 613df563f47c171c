import type { Reading } from './reading.js';

/**
 * The measurements of a reading as a device sent them or InfluxDB stored them: the shape of the wire
 * schema's reading, named here so that the engine does not depend on the wire schema.
 */
export interface MeasuredReading {
  tsMs: number;
  /** °C per sensor, e.g. `{ air: 3.4, product: 2.9 }`. */
  temp?: Readonly<Record<string, number>>;
  rh?: number;
  door?: boolean;
}

/**
 * The engine judges the product temperature where there is one (DESIGN.md §4), else the air, else
 * whichever sensor the device has. Where the device measures both product and air, the air goes along
 * as `airC` for the early warning: a failing unit shows in the air long before in the product. Other
 * fields (position, battery, counter) are not judged.
 */
export function toEngineReading(r: MeasuredReading): Reading {
  const temps = r.temp ?? {};
  const tempC = temps.product ?? temps.air ?? Object.values(temps)[0];
  return {
    tsMs: r.tsMs,
    ...(tempC === undefined ? {} : { tempC }),
    ...(temps.product === undefined || temps.air === undefined ? {} : { airC: temps.air }),
    ...(r.rh === undefined ? {} : { rh: r.rh }),
    ...(r.door === undefined ? {} : { door: r.door }),
  };
}
