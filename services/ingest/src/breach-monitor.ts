import {
  alertKey,
  applyExcursionChanges,
  canIngest,
  createEngineState,
  diffExcursions,
  type Reading as EngineReading,
  type EngineState,
  type Excursion,
  type ExcursionChange,
  ingest as foldIn,
  type Profile,
  toEngineReading,
  trimHistory,
} from '@coldchain/coldchain';
import type { Reading as WireReading } from '@coldchain/schema';
import { type Alert, type CustodyLeg, type MetadataStore, StoreError } from '@coldchain/store';
import type { Logger } from 'pino';
import { type BackfillTracker, createBackfillTracker } from './backfill-tracker.js';
import type { AcceptedMessage } from './create-ingest.js';

/** Where the breach monitor reads a leg's stored readings from when it (re)builds its state. */
export type HistorySource = (deviceId: string, fromMs: number, toMs: number) => Promise<EngineReading[]>;

/** Announces an alert that was created or changed: MQTT, webhooks. */
export type AlertSink = (alert: Alert, change: 'created' | 'updated') => void;

export interface BreachMonitorDeps {
  store: MetadataStore;
  profiles: ReadonlyMap<string, Profile>;
  history: HistorySource;
  sinks: AlertSink[];
  log: Logger;
  now?: () => number;
  /** How long a device's custody legs (and a shipment's profile) are cached. */
  legCacheMs?: number;
  /**
   * How long the engine state of a handed-over leg stays in memory after its last reading; a late
   * backlog for it afterwards rebuilds the state from InfluxDB, as after a restart. Default 10 min.
   */
  closedLegIdleMs?: number;
  /**
   * Past this many readings in a leg's engine state its oldest are trimmed down to `trimKeep`: a
   * 30-day leg then costs a few hundred KB, not MB. A late reading older than those kept, or the
   * leg's end, rebuilds the state from InfluxDB. Defaults 8,192 and 4,096.
   */
  trimAbove?: number;
  trimKeep?: number;
  /**
   * While a device fills in its past (readings older than its newest, or a backlog replayed), the
   * alerts of that stretch are held until it has been quiet or in order this long, and told only if
   * they still stand (`backfill-tracker.ts`). Default 5 s.
   */
  settleMs?: number;
  /** A message whose newest reading is older than the wall clock by more than this is a replayed backlog. Default 5 min. */
  backlogLagMs?: number;
  /**
   * An open excursion's new peak is told once it has moved this far (°C or %RH) from the peak last
   * told; the store always has the latest. Default 0.5.
   */
  peakStep?: number;
}

export interface BreachMonitor {
  /** Folds an accepted message into every custody leg of its device that the readings fall in. */
  accept(message: AcceptedMessage): void;
  /** Evaluates every open leg at the wall clock: "no data" and delays that ran out fire on time. */
  tick(): Promise<void>;
  /**
   * Evaluates a shipment again after its custody legs changed (a handover recorded late, after the
   * readings it covers): every leg is rebuilt from InfluxDB as after a restart, so that excursions
   * are raised with the holder of the leg they now fall in, and alerts of excursions that no leg
   * holds any more are withdrawn. Rejects when a leg could not be rebuilt (nothing is withdrawn then).
   */
  reevaluateShipment(shipmentId: string): Promise<void>;
  /**
   * Tells what was held for devices that have settled since they filled in their past: the changes
   * between what was told and what their legs show now. Call it on a timer; resolves once told.
   */
  release(): Promise<void>;
  /** Devices whose alerts are held while they fill in their past. */
  devicesFilling(): number;
  /** Resolves when every queued evaluation has finished. */
  idle(): Promise<void>;
  /** Legs whose engine state is in memory. */
  legsInMemory(): number;
}

/** A leg's engine state, its excursions as of the last evaluation, and what the store and sinks were told. */
interface LegEntry {
  leg: CustodyLeg;
  state: EngineState;
  touchedMs: number;
  current: Excursion[];
  /** The excursions as last written to the store, by excursion key: what the next changes are relative to. */
  written: Record<string, Excursion>;
  /** Each alert as last sent to the sinks, by alert key: whether an update is worth telling. */
  lastTold: Map<string, Alert>;
}

const legWindow = (leg: CustodyLeg) => ({ startMs: leg.fromMs, endMs: leg.toMs });
const inLeg = (leg: CustodyLeg, tsMs: number) => tsMs >= leg.fromMs && (leg.toMs === null || tsMs < leg.toMs);

/**
 * The ingest's side of the breach engine. Per custody leg it keeps the pure engine's state, folds
 * readings in by event time (late backlogs included), and turns the engine's excursion changes into
 * alerts: one alert per excursion, keyed by shipment, leg and excursion, updated as the excursion
 * grows or ends, with the leg's custody holder on record.
 *
 * Restarts: a leg's state is rebuilt from InfluxDB the first time the leg is touched, and the alert
 * store is keyed, so a rebuilt excursion updates its existing alert instead of raising a new one.
 * Readings journaled but not yet in InfluxDB at that moment come back in the same message (the engine
 * drops duplicates by timestamp).
 */
export function createBreachMonitor(deps: BreachMonitorDeps): BreachMonitor {
  const { store, profiles, log } = deps;
  const now = deps.now ?? Date.now;
  const legCacheMs = deps.legCacheMs ?? 2_000;
  const closedLegIdleMs = deps.closedLegIdleMs ?? 10 * 60_000;
  const trimAbove = deps.trimAbove ?? 8_192;
  const trimKeep = deps.trimKeep ?? 4_096;
  const peakStep = deps.peakStep ?? 0.5;
  const backfill: BackfillTracker = createBackfillTracker({
    settleMs: deps.settleMs ?? 5_000,
    backlogLagMs: deps.backlogLagMs ?? 5 * 60_000,
    now,
  });
  /** Per custody leg, built on first touch (see `evaluate`): its engine state and what was told of it. */
  const entries = new Map<number, LegEntry>();
  const queues = new Map<number, Promise<void>>();
  const legCache = new Map<string, { legs: CustodyLeg[]; atMs: number }>();
  /** Store reads of a device's legs under way: messages that arrive meanwhile wait for the same one. */
  const legLookups = new Map<string, Promise<CustodyLeg[]>>();
  const profileCache = new Map<string, { profile: Profile; atMs: number }>();

  /**
   * A device's legs: from the cache, synchronously, on the hot path; otherwise one store read
   * shared by every message of the device that arrives before it answers, so they keep their order.
   */
  const legsOf = (deviceId: string): CustodyLeg[] | Promise<CustodyLeg[]> => {
    const pending = legLookups.get(deviceId);
    if (pending) return pending;
    const cached = legCache.get(deviceId);
    if (cached && now() - cached.atMs < legCacheMs) return cached.legs;
    const lookup = store.legsOfDevice(deviceId).then(
      (legs) => {
        legCache.set(deviceId, { legs, atMs: now() });
        return legs;
      },
      (err: unknown) => {
        // Stale legs beat none while the store is unreachable; none are known, nothing is judged.
        log.error({ err, deviceId }, 'could not read the custody legs of a device');
        return cached?.legs ?? [];
      },
    );
    const settled = lookup.finally(() => legLookups.delete(deviceId));
    legLookups.set(deviceId, settled);
    return settled;
  };

  /** Runs evaluations of one leg one after another; different legs run independently. */
  const enqueue = (legId: number, work: () => Promise<void>) => {
    const next = (queues.get(legId) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      log.error({ err, legId }, 'breach evaluation failed');
    });
    queues.set(legId, next);
    void next.then(() => {
      if (queues.get(legId) === next) queues.delete(legId);
    });
  };

  /** Cached like the legs: evaluating a leg runs per message and must not cost a store read each time. */
  async function profileOfLeg(leg: CustodyLeg): Promise<Profile> {
    const cached = profileCache.get(leg.shipmentId);
    if (cached && now() - cached.atMs < legCacheMs) return cached.profile;
    const shipment = await store.getShipment(leg.shipmentId);
    const profile = shipment ? profiles.get(shipment.profileId) : undefined;
    if (!profile)
      throw new Error(
        `shipment ${leg.shipmentId} has no known profile (${shipment?.profileId ?? 'no shipment'})`,
      );
    profileCache.set(leg.shipmentId, { profile, atMs: now() });
    return profile;
  }

  /**
   * Brings the store and the sinks up to the leg's current excursions, except for the changes of a
   * stretch its device is still filling in: those wait for `release`. Runs in the leg's queue.
   */
  async function publish(entry: LegEntry) {
    const { leg } = entry;
    const due: ExcursionChange[] = [];
    for (const change of diffExcursions(entry.written, entry.current)) {
      if (backfill.holds(leg.deviceId, change, entry.written[change.excursion.key])) {
        backfill.heldFor(leg.deviceId, leg.id);
      } else due.push(change);
    }
    if (due.length === 0) return;
    await applyChanges(entry, due);
  }

  /** Store writes of one leg run in order: its evaluations are queued one after another. */
  async function applyChanges(entry: LegEntry, changes: readonly ExcursionChange[]) {
    const { leg } = entry;
    for (const change of changes) {
      const { type, excursion } = change;
      const key = alertKey(leg.shipmentId, leg.id, excursion.key);
      if (type === 'removed') {
        // Fuller data replaced it: a gap that a backlog filled, or an excursion that a late reading
        // shows began sooner (it is raised again under its new key). Say so and resolve it.
        const existing = await store.getAlertByKey(key);
        applyExcursionChanges(entry.written, [change]);
        entry.lastTold.delete(key);
        if (!existing || existing.status === 'resolved') continue;
        await withdraw(
          existing,
          excursion.rule === 'gap'
            ? 'recovered: a backlog filled the data gap'
            : 'superseded: late readings moved its start',
        );
        continue;
      }
      if (excursion.rule === 'early_warning' && excursion.endMs !== null) {
        await endEarlyWarning(entry, change, key);
        continue;
      }
      const { alert, change: stored } = await store.upsertAlert(toAlertInput(leg, excursion, key));
      applyExcursionChanges(entry.written, [change]);
      if (stored === 'unchanged') continue;
      if (stored === 'updated' && !worthTelling(entry.lastTold.get(key), alert)) continue;
      entry.lastTold.set(key, alert);
      log.info(
        { alertId: alert.id, key, shipmentId: leg.shipmentId, deviceId: leg.deviceId, change: stored },
        `alert ${stored}`,
      );
      tell(alert, stored);
    }
  }

  const tell = (alert: Alert, change: 'created' | 'updated') => {
    for (const sink of deps.sinks) sink(alert, change);
  };

  /**
   * An early warning resolves itself when it ends (the air came back, or the product left the range
   * and the excursion rules took over): its alert gets its end and is resolved by the rules, told
   * once. Already so in the store (a rebuild after a restart): nothing to write or tell.
   */
  async function endEarlyWarning(entry: LegEntry, change: ExcursionChange, key: string) {
    const { leg } = entry;
    const existing = await store.getAlertByKey(key);
    applyExcursionChanges(entry.written, [change]);
    if (existing?.status === 'resolved' && existing.endMs === change.excursion.endMs) return;
    const { alert, change: stored } = await store.upsertAlert(toAlertInput(leg, change.excursion, key));
    const resolved = await resolveUnlessResolved(
      alert.id,
      'ended: the air is back within range, or the product left it and the excursion rules took over',
    );
    const told = resolved ?? (stored === 'unchanged' ? null : alert);
    if (!told) return;
    entry.lastTold.set(key, told);
    log.info(
      { alertId: told.id, key, shipmentId: leg.shipmentId, deviceId: leg.deviceId },
      'early warning ended',
    );
    // One that ended before anything was told (found in a backlog) is told once, as it stands.
    tell(told, stored === 'created' ? 'created' : 'updated');
  }

  /**
   * An update goes out when an operator would act on it: the excursion ended or came back, its
   * severity, start or holder changed, or its peak moved by `peakStep` since last told. Smaller
   * moves of the peak are in the store, and in the next update that is told.
   */
  const worthTelling = (last: Alert | undefined, next: Alert) =>
    last === undefined ||
    last.status !== next.status ||
    last.endMs !== next.endMs ||
    last.startMs !== next.startMs ||
    last.severity !== next.severity ||
    last.holder !== next.holder ||
    (last.peakValue === null) !== (next.peakValue === null) ||
    Math.abs((next.peakValue ?? 0) - (last.peakValue ?? 0)) >= peakStep;

  /** An operator (or another ingest process) may have resolved it meanwhile: then there is nothing to tell. */
  async function resolveUnlessResolved(alertId: number, detail: string): Promise<Alert | null> {
    try {
      return await store.resolveAlert(alertId, 'system', detail);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'alert_conflict') return null;
      throw err;
    }
  }

  const toAlertInput = (leg: CustodyLeg, e: Excursion, key: string) => ({
    key,
    rule: e.rule,
    severity: e.severity,
    shipmentId: leg.shipmentId,
    deviceId: leg.deviceId,
    holder: leg.holder,
    startMs: e.startMs,
    endMs: e.endMs,
    limit: e.limit,
    peakValue: e.peak?.value ?? null,
    peakTsMs: e.peak?.tsMs ?? null,
    detail:
      e.projectedBreachMs === null
        ? null
        : `product projected to cross ${e.limit} °C at ${new Date(e.projectedBreachMs).toISOString()}`,
  });

  const evaluate = (leg: CustodyLeg, batch: EngineReading[]) =>
    enqueue(leg.id, async () => {
      const profile = await profileOfLeg(leg);
      const entry = entries.get(leg.id);
      let state = entry?.state;
      let readings = batch;
      if (state && !canIngest(state, batch, profile, legWindow(leg))) {
        // Trimmed past what this batch needs: build it again from the whole leg; what was told so
        // far stays, so that the changes stay relative to the alerts already raised.
        state = undefined;
      }
      if (!state) {
        // First touch since start: the leg's stored history and this batch are folded together, so
        // the state is rebuilt and judged in one step. Excursions the history already held come back
        // with their keys; the alert store knows them and reports them unchanged.
        // If InfluxDB cannot be read, nothing is kept and the next message of the leg tries again.
        const stored = await deps.history(leg.deviceId, leg.fromMs, leg.toMs ?? now() + 60_000);
        state = createEngineState();
        readings = [...stored, ...batch];
      }
      const current = entry ?? { leg, state, touchedMs: 0, current: [], written: {}, lastTold: new Map() };
      current.state = state;
      current.touchedMs = now();
      entries.set(leg.id, current);
      current.current = foldIn(state, readings, profile, legWindow(leg), now()).excursions;
      await publish(current);
      if (state.history.length > trimAbove) trimHistory(state, trimKeep);
    });

  const dispatch = (legs: CustodyLeg[], readings: WireReading[]) => {
    if (legs.length === 0) return;
    const engineReadings = readings.map(toEngineReading);
    for (const leg of legs) {
      const batch = engineReadings.filter((r) => inLeg(leg, r.tsMs));
      if (batch.length > 0) evaluate(leg, batch);
    }
  };

  /** Resolves once what is queued for the leg so far has run. */
  const queued = (legId: number): Promise<void> => queues.get(legId) ?? Promise.resolve();

  async function reevaluate(shipmentId: string) {
    const legs = await store.legsOfShipment(shipmentId);
    if (legs.length === 0) return;
    // The devices whose cached legs are stale: those of the shipment's legs, and any device whose
    // cached legs include one of the shipment's (legs only ever gain an end, never change device).
    const devices = new Set(legs.map((leg) => leg.deviceId));
    for (const [deviceId, cached] of legCache)
      if (cached.legs.some((leg) => leg.shipmentId === shipmentId)) devices.add(deviceId);
    // A store read under way may predate the change: the messages waiting for it go out first.
    await Promise.all([...devices].map((deviceId) => legLookups.get(deviceId)));
    for (const deviceId of devices) legCache.delete(deviceId);

    // Once what is queued for each leg has run, its state is let go. Its readings are kept for the
    // rebuild: InfluxDB may not hold the newest yet (the writer batches them), and the readings of a
    // leg that now ends sooner belong to the next leg on the same device.
    const inMemory = new Map<string, EngineReading[]>();
    await Promise.all(
      legs.map((leg) => {
        enqueue(leg.id, async () => {
          const held = entries.get(leg.id)?.state.history ?? [];
          inMemory.set(leg.deviceId, [...(inMemory.get(leg.deviceId) ?? []), ...held]);
          entries.delete(leg.id);
        });
        return queued(leg.id);
      }),
    );
    // Without a state, `evaluate` takes the restart path: the leg's stored history and the readings
    // given, folded together; the alert store reports the excursions it knows unchanged.
    await Promise.all(
      legs.map((leg) => {
        evaluate(leg, inMemory.get(leg.deviceId) ?? []);
        return queued(leg.id);
      }),
    );
    const failed = legs.filter((leg) => !entries.has(leg.id));
    if (failed.length > 0)
      throw new Error(
        `could not rebuild custody legs ${failed.map((leg) => leg.id).join(', ')} of shipment ${shipmentId}`,
      );

    // What each rebuilt leg holds now; an alert of the shipment outside that was raised for a leg's
    // old boundaries, and goes the way of a superseded one.
    const standing = new Set(
      legs.flatMap((leg) =>
        (entries.get(leg.id)?.current ?? []).map((excursion) =>
          alertKey(leg.shipmentId, leg.id, excursion.key),
        ),
      ),
    );
    for (const alert of await unresolvedAlertsOf(shipmentId))
      if (!standing.has(alert.key))
        await withdraw(alert, 'withdrawn: a custody change put it outside its leg');
  }

  async function unresolvedAlertsOf(shipmentId: string): Promise<Alert[]> {
    const pageSize = 200;
    const found: Alert[] = [];
    for (const status of ['open', 'acknowledged'] as const) {
      for (let beforeId: number | undefined; ; ) {
        const page = await store.listAlerts({
          shipmentId,
          status,
          limit: pageSize,
          ...(beforeId === undefined ? {} : { beforeId }),
        });
        found.push(...page);
        const last = page.at(-1);
        if (page.length < pageSize || !last) break;
        beforeId = last.id;
      }
    }
    return found;
  }

  /**
   * Resolves an alert as the rules, saying why in its detail: fuller data replaced its excursion, or
   * a custody change put it outside its leg. Told once, as resolved.
   */
  async function withdraw(alert: Alert, detail: string) {
    const { key, rule, severity, shipmentId, deviceId, holder, startMs, endMs, limit, peakValue, peakTsMs } =
      alert;
    await store.upsertAlert({
      key,
      rule,
      severity,
      shipmentId,
      deviceId,
      holder,
      startMs,
      endMs,
      limit,
      peakValue,
      peakTsMs,
      detail,
    });
    const resolved = await resolveUnlessResolved(alert.id, detail);
    if (!resolved) return;
    log.info({ alertId: alert.id, key, shipmentId, deviceId, detail }, 'alert withdrawn');
    tell(resolved, 'updated');
  }

  return {
    accept({ deviceId, readings }) {
      if (readings.length === 0) return;
      backfill.observe(deviceId, readings);
      const legs = legsOf(deviceId);
      if (Array.isArray(legs)) dispatch(legs, readings);
      else void legs.then((l) => dispatch(l, readings));
    },
    async tick() {
      const open = new Set<number>();
      for (const leg of await store.openLegs()) {
        open.add(leg.id);
        evaluate(leg, []);
      }
      await this.idle();
      // A handed-over leg's state grows with every reading it had: once nothing has come for it a
      // while, it goes, and a late backlog rebuilds it from InfluxDB.
      for (const [legId, { touchedMs }] of entries) {
        if (!open.has(legId) && !queues.has(legId) && now() - touchedMs > closedLegIdleMs)
          entries.delete(legId);
      }
    },
    reevaluateShipment: reevaluate,
    async release() {
      const legIds = backfill.takeSettled().flatMap((settled) => settled.legIds);
      for (const legId of legIds) {
        enqueue(legId, async () => {
          const entry = entries.get(legId);
          if (entry) await publish(entry);
        });
      }
      await Promise.all(legIds.map(queued));
    },
    devicesFilling: () => backfill.filling(),
    legsInMemory: () => entries.size,
    async idle() {
      while (queues.size > 0 || legLookups.size > 0)
        await Promise.all([...legLookups.values(), ...queues.values()]);
    },
  };
}
