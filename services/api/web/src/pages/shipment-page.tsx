import { useCallback, useState } from 'preact/hooks';
import type { TrackFeatureCollection } from '../../../src/history/track-geojson.js';
import { ApiFailure, download, getJson, postJson } from '../api-client.js';
import { Show, useLoad } from '../components/load-state.js';
import { ShipmentView } from '../components/shipment-view.js';
import { RAW_SPAN_MS } from '../components/temperature-chart.js';
import { formatTime } from '../format.js';
import { lang, t } from '../i18n.js';
import { href } from '../router.js';
import type { HistoryPoint, HistoryWindow, IssuedShareLink, Report, WhoAmI } from '../types.js';

/** At most about this many windows when a long stretch is read downsampled. */
const MAX_WINDOWS = 500;

export function ShipmentPage({ id, user }: { id: string; user: WhoAmI['user'] }) {
  const base = `/v1/shipments/${encodeURIComponent(id)}`;
  const loaded = useLoad(async () => {
    const [report, track] = await Promise.all([
      getJson<Report>(`${base}/report?format=json`),
      getJson<TrackFeatureCollection>(`${base}/track`),
    ]);
    return { report, track };
  }, [id]);

  // A short stretch: every stored reading; a long one: window means, as points.
  const loadReadings = useCallback(
    async (fromMs: number, toMs: number): Promise<HistoryPoint[]> => {
      const range = `from=${Math.floor(fromMs)}&to=${Math.ceil(toMs)}`;
      if (toMs - fromMs <= RAW_SPAN_MS)
        return (await getJson<{ points: HistoryPoint[] }>(`${base}/history?${range}&limit=50000`)).points;
      const minutes = Math.max(5, Math.ceil((toMs - fromMs) / MAX_WINDOWS / 60_000));
      const { windows } = await getJson<{ windows: HistoryWindow[] }>(
        `${base}/history?${range}&every=${minutes}m`,
      );
      return windows
        .filter((w) => w.count > 0)
        .map((w) => {
          const temp: Record<string, number> = {};
          let rh: number | undefined;
          for (const [name, stats] of Object.entries(w.sensors)) {
            if (stats.mean === null) continue;
            if (name === 'rh') rh = stats.mean;
            else temp[name] = stats.mean;
          }
          return {
            tsMs: w.windowStart,
            legId: 0,
            holder: '',
            deviceId: '',
            temp,
            ...(rh === undefined ? {} : { rh }),
          };
        });
    },
    [base],
  );

  const file = (format: 'pdf' | 'csv') => () =>
    void download(`${base}/report?format=${format}&lang=${lang()}`, `${id}-report.${format}`);
  return (
    <Show loaded={loaded}>
      {({ report, track }) => (
        <ShipmentView
          report={report}
          track={track}
          loadReadings={loadReadings}
          downloads={
            <>
              <button type="button" class="link" onClick={file('pdf')}>
                {t('pdf')}
              </button>
              <button type="button" class="link" onClick={file('csv')}>
                {t('csv')}
              </button>
              <button
                type="button"
                class="link"
                onClick={() => void download(`${base}/epcis`, `${id}-epcis.json`)}
              >
                {t('epcis')}
              </button>
            </>
          }
          extra={
            user.role === 'admin' || user.role === 'operator' || user.role === 'shipper' ? (
              <ShareLinkMaker id={id} />
            ) : null
          }
        />
      )}
    </Show>
  );
}

/** Issues a share link for the consignee: the dashboard address of its read-only page. */
function ShareLinkMaker({ id }: { id: string }) {
  const [issued, setIssued] = useState<IssuedShareLink | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async () => {
    setError(null);
    try {
      setIssued(await postJson<IssuedShareLink>(`/v1/shipments/${encodeURIComponent(id)}/share-links`, {}));
    } catch (err) {
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    }
  };
  const address = issued ? `${location.origin}/app/${href.shared(issued.token)}` : null;
  return (
    <section class="card">
      <h2>{t('shareLink')}</h2>
      <button type="button" onClick={create}>
        {t('createShareLink')}
      </button>
      {address && issued && (
        <p>
          <input
            readOnly
            value={address}
            class="share-address"
            data-testid="share-address"
            onFocus={(e) => e.currentTarget.select()}
          />
          <span class="sub">→ {formatTime(issued.link.expiresAtMs)}</span>
        </p>
      )}
      {error && (
        <p class="error-panel" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
