/**
 * Limits of wire format v1 (DESIGN.md §2). They are part of the contract with devices: a message that
 * breaks one is answered with a dead-letter record naming the reason, never half-accepted and never a crash.
 */

/** A closed interval `[min, max]`. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** The `v` every message carries; a new wire version gets new schemas, not a wider old one. */
export const WIRE_VERSION = 1;

/**
 * Largest payload parsed, checked on the raw bytes before `JSON.parse`, so that one publish costs at most
 * this much memory and CPU (MQTT itself allows 256 MB). A full batch of typical readings (two sensors, rh,
 * door, position, battery: about 150 bytes each) takes about 150 KB; devices that fill all eight sensor
 * slots send smaller batches.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Readings per telemetry message. At the one-minute sensor interval the GSP appendix on automatic
 * monitoring asks for, that is about 16 hours of store-and-forward backlog per message; a longer backlog
 * comes as several messages. Bounds the work per message and what one bad reading drags into dead letters.
 */
export const MAX_BATCH_READINGS = 1000;

/** Events per events message; events are far rarer than readings, so the readings bound is ample. */
export const MAX_BATCH_EVENTS = 1000;

/**
 * Temperature in °C. Spans ultra-low freezers and dry ice (-80 °C, -78.5 °C) up to far above any ambient
 * a logger survives; a value outside is a sensor fault (open probe, ADC at its rail), not a temperature.
 * Cryogenic shippers (liquid-nitrogen dry shippers, about -150 °C) would need a lower `min`.
 */
export const TEMP_RANGE_C: Range = { min: -100, max: 100 };

/** Relative humidity in percent: 0 to 100 by definition; sensors clamp condensation readings themselves. */
export const RH_RANGE_PCT: Range = { min: 0, max: 100 };

/** WGS 84 latitude in degrees. */
export const LAT_RANGE_DEG: Range = { min: -90, max: 90 };

/** WGS 84 longitude in degrees. */
export const LON_RANGE_DEG: Range = { min: -180, max: 180 };

/** Battery state of charge in percent. */
export const BATTERY_RANGE_PCT: Range = { min: 0, max: 100 };

/** `seq` is a per-device counter, so it never goes negative; past 2^53 - 1 a JS number skips values. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * Keys of a reading's `temp` object. Each becomes the InfluxDB field `temp_<sensor>` (DESIGN.md §3):
 * lower-case snake_case keeps field names predictable in Flux and free of case-only collisions.
 * `constructor` and `prototype` are excluded: as object keys they reach a prototype (see json-payload.ts).
 */
export const SENSOR_NAME_PATTERN = /^(?!(?:constructor|prototype)$)[a-z][a-z0-9_]{0,31}$/;

/** Sensors per reading. Loggers carry a handful of probes (air, product, return air, evaporator); the
 * bound keeps the number of fields per point, and so InfluxDB's series schema, small. */
export const MAX_SENSORS = 8;

/**
 * How far a reading may be dated ahead of the ingest clock. Device clocks drift and resynchronise late
 * after power-up; five minutes tolerates that, while a reading dated further ahead would sit beyond "now"
 * and could close a data gap or clear an excursion early.
 */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

/**
 * How far a reading may be dated behind the ingest clock. Store-and-forward loggers flush backlogs hours
 * or days old (a sea leg runs for weeks); a reading older than thirty days is far more likely a device
 * whose clock was never set (1970, 2000) than real history.
 */
export const MAX_PAST_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * A device id is exactly one MQTT topic level: no `/`, and none of the wildcards `+` and `#`, which only
 * topic filters may contain (MQTT 3.1.1 §4.7.1). It is also a safe InfluxDB tag value and URL segment.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A shipment id is one topic level too (`coldchain/v1/alerts/{shipmentId}`), and never `devices`: a
 * subscriber to `coldchain/v1/alerts/devices/#` would also get that shipment's alerts, since `#` matches
 * its parent level as well (MQTT 3.1.1 §4.7.1.2).
 */
export const SHIPMENT_ID_PATTERN = /^(?!devices$)[A-Za-z0-9_-]{1,64}$/;

/** A device's own alarm code (`SENSOR_FAULT`, `E.12`): a short token, usable as a metric label. */
export const ALARM_CODE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Free text in an alarm: a sentence for the operator, bounded so that it cannot bloat the alert. */
export const MAX_ALARM_MESSAGE_LENGTH = 500;

/** Who scanned a load or unload (badge id or name, in any script). */
export const MAX_SCANNED_BY_LENGTH = 128;

/**
 * Nesting of objects and arrays in a payload. The deepest legitimate value sits four levels down
 * (message → readings → reading → temp); anything much deeper is garbage and is refused before validation.
 */
export const MAX_JSON_DEPTH = 8;

/** Problems named per rejected message: enough to diagnose a device bug, and a dead-letter record stays
 * smaller than the payload that caused it. */
export const MAX_PROBLEMS = 20;
