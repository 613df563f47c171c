import { getJson } from '../api-client.js';
import { Show, useLoad } from '../components/load-state.js';
import { fleetState, judgedTempC } from '../fleet-state.js';
import { formatCount, formatPct, formatTemp, formatTime } from '../format.js';
import { t, tOr } from '../i18n.js';
import { href } from '../router.js';
import type { CustodyLeg, DeviceState, Page, ProfileSummary, Shipment } from '../types.js';

interface Carried {
  shipment: Shipment;
  profile: ProfileSummary | null;
}

/** Shipments whose custody may still be open: a planned one may already be loaded. */
const UNDERWAY = new Set(['planned', 'in_transit']);

/** Which shipment each device carries now: the open custody leg of each shipment under way. */
async function loadFleet() {
  const [devices, profiles, shipments] = await Promise.all([
    getJson<{ items: DeviceState[] }>('/v1/devices'),
    getJson<{ items: ProfileSummary[] }>('/v1/profiles'),
    getJson<Page<Shipment>>('/v1/shipments?limit=1000'),
  ]);
  const profileById = new Map(profiles.items.map((p) => [p.id, p]));
  const carried = new Map<string, Carried>();
  const chains = await Promise.all(
    shipments.items
      .filter((s) => UNDERWAY.has(s.status))
      .map((s) =>
        getJson<{ legs: CustodyLeg[] }>(`/v1/shipments/${encodeURIComponent(s.id)}/custody`).then((c) => ({
          shipment: s,
          legs: c.legs,
        })),
      ),
  );
  for (const { shipment, legs } of chains)
    for (const leg of legs)
      if (leg.toMs === null)
        carried.set(leg.deviceId, { shipment, profile: profileById.get(shipment.profileId) ?? null });
  return { devices: devices.items, carried, loadedAtMs: Date.now() };
}

export function FleetView() {
  const loaded = useLoad(loadFleet, []);
  return (
    <section>
      <div class="page-head">
        <h1>{t('navFleet')}</h1>
        <button type="button" onClick={loaded.reload}>
          ↻
        </button>
      </div>
      <Show loaded={loaded}>
        {({ devices, carried, loadedAtMs }) => (
          <>
            <p class="sub">
              {formatCount(devices.length)} {t('devices')}
            </p>
            <div class="fleet-grid">
              {devices.map((d) => {
                const carrying = carried.get(d.id) ?? null;
                const state = fleetState(d, carrying?.profile ?? null, loadedAtMs);
                const range = carrying?.profile?.rangeC;
                return (
                  <article
                    key={d.id}
                    class={`device-card state-${state}`}
                    data-testid="device-card"
                    data-device-id={d.id}
                    data-state={state}
                  >
                    <header>
                      <strong>{d.name || d.id}</strong>
                      <span class={`dot ${d.online ? 'on' : 'off'}`} />
                      <span class="sub">
                        {d.online === null ? t('neverSeen') : d.online ? t('online') : t('offline')}
                      </span>
                    </header>
                    <div class="big-temp">{formatTemp(judgedTempC(d))}</div>
                    <div class="state-label">{t(state === 'idle' ? 'noShipment' : `state_${state}`)}</div>
                    <dl>
                      <dt>{t('device')}</dt>
                      <dd>
                        {d.id} · {tOr(`kind_${d.kind}`, d.kind)}
                      </dd>
                      <dt>{t('range')}</dt>
                      <dd>{range ? `${formatTemp(range.lowC)} – ${formatTemp(range.highC)}` : '—'}</dd>
                      <dt>{t('shipment')}</dt>
                      <dd>
                        {carrying ? (
                          <a href={href.shipment(carrying.shipment.id)}>{carrying.shipment.id}</a>
                        ) : (
                          t('noShipment')
                        )}
                      </dd>
                      <dt>{t('lastSeen')}</dt>
                      <dd>{formatTime(d.lastSeenMs)}</dd>
                      <dt>{t('battery')}</dt>
                      <dd>{formatPct(d.battery)}</dd>
                    </dl>
                  </article>
                );
              })}
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
