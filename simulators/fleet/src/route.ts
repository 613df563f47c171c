import { distanceKm, interpolate, type Place } from './geo.js';

/**
 * A delivery round on a straight line between two places: load at `from`, drive out with `drops`
 * evenly spaced stops, unload at `to`, drive back empty, and again. The doors open once at every stop.
 */
export interface RouteSpec {
  from: Place;
  to: Place;
  /** Intermediate drops on the way out. Default 0. */
  drops?: number;
  /** Mean speed including traffic. Default 50 km/h, about what a loaded reefer truck averages in Liaoning. */
  speedKmh?: number;
  /** Time at `from` and at `to` (loading, unloading). Default 45 min. */
  terminalDwellMs?: number;
  /** Time at each intermediate drop. Default 10 min. */
  dropDwellMs?: number;
}

/** Where a vehicle is at a moment of its round. */
export interface RoutePosition {
  lat: number;
  lon: number;
  /** Parked at a stop (loading, unloading or a drop). */
  stopped: boolean;
  /** The doors are open: at each stop they open `doorOpenDelayMs` after arrival, for the door time. */
  doorOpen: boolean;
}

/** A round as a repeating timeline; `at(elapsedMs)` answers for any time since the round began. */
export interface Route {
  readonly periodMs: number;
  at(elapsedMs: number): RoutePosition;
}

type Segment =
  | { kind: 'stop'; durationMs: number; place: Place }
  | { kind: 'drive'; durationMs: number; from: Place; to: Place };

const DEFAULT_SPEED_KMH = 50;
const DEFAULT_TERMINAL_DWELL_MS = 45 * 60_000;
const DEFAULT_DROP_DWELL_MS = 10 * 60_000;
/** The crew parks, walks round and opens up a little after arrival. */
const DOOR_OPEN_DELAY_MS = 2 * 60_000;
/** A drive is never shorter than this, so that two nearby places still give a visible move. */
const MIN_DRIVE_MS = 60_000;

export function createRoute(spec: RouteSpec, doorOpenMs: number): Route {
  const speedKmh = spec.speedKmh ?? DEFAULT_SPEED_KMH;
  const terminalDwellMs = spec.terminalDwellMs ?? DEFAULT_TERMINAL_DWELL_MS;
  const dropDwellMs = spec.dropDwellMs ?? DEFAULT_DROP_DWELL_MS;
  const drops = Math.max(0, Math.floor(spec.drops ?? 0));
  const drive = (from: Place, to: Place): Segment => ({
    kind: 'drive',
    from,
    to,
    durationMs: Math.max(MIN_DRIVE_MS, (distanceKm(from, to) / speedKmh) * 3_600_000),
  });

  const stopsOut = Array.from({ length: drops }, (_, i) =>
    interpolate(spec.from, spec.to, (i + 1) / (drops + 1)),
  );
  const segments: Segment[] = [{ kind: 'stop', durationMs: terminalDwellMs, place: spec.from }];
  let last = spec.from;
  for (const place of stopsOut) {
    segments.push(drive(last, place), { kind: 'stop', durationMs: dropDwellMs, place });
    last = place;
  }
  segments.push(drive(last, spec.to), { kind: 'stop', durationMs: terminalDwellMs, place: spec.to });
  segments.push(drive(spec.to, spec.from));
  const periodMs = segments.reduce((sum, s) => sum + s.durationMs, 0);

  return {
    periodMs,
    at(elapsedMs) {
      let t = ((elapsedMs % periodMs) + periodMs) % periodMs;
      for (const segment of segments) {
        if (t < segment.durationMs) return positionIn(segment, t, doorOpenMs);
        t -= segment.durationMs;
      }
      // Unreachable while t < periodMs; floating-point remainders land on the round's start.
      return positionIn(segments[0] as Segment, 0, doorOpenMs);
    },
  };
}

function positionIn(segment: Segment, t: number, doorOpenMs: number): RoutePosition {
  if (segment.kind === 'drive') {
    const { lat, lon } = interpolate(segment.from, segment.to, t / segment.durationMs);
    return { lat, lon, stopped: false, doorOpen: false };
  }
  const doorOpen = t >= DOOR_OPEN_DELAY_MS && t < DOOR_OPEN_DELAY_MS + doorOpenMs;
  return { lat: segment.place.lat, lon: segment.place.lon, stopped: true, doorOpen };
}
