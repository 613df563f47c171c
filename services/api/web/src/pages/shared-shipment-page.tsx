import { useCallback, useState } from 'preact/hooks';
import { trackGeoJson } from '../../../src/history/track-geojson.js';
import { ApiFailure, getJson, postJson } from '../api-client.js';
import { Show, useLoad } from '../components/load-state.js';
import { ShipmentView } from '../components/shipment-view.js';
import { lang, t } from '../i18n.js';
import type { HistoryPoint, Receipt, Report } from '../types.js';

/**
 * What a consignee sees through a share link: the shipment's record, read-only, and the receipt
 * form. The link's token is its only credential; no operator control is on this page.
 */
export function SharedShipmentPage({ token }: { token: string }) {
  const base = `/v1/shared/${encodeURIComponent(token)}`;
  const loaded = useLoad(async () => {
    const [summary, report, history] = await Promise.all([
      getJson<{ receipt: Receipt | null }>(base),
      getJson<Report>(`${base}/report?format=json`),
      getJson<{ points: HistoryPoint[] }>(`${base}/history`),
    ]);
    // The share link has no track route: the same GeoJSON is formed here from its readings.
    const tracks: Parameters<typeof trackGeoJson>[0] = report.custody.legs.map((leg) => ({
      legId: leg.legId,
      holder: leg.holder,
      deviceId: leg.deviceId,
      fromMs: leg.fromMs,
      toMs: leg.toMs ?? report.generatedAtMs,
      positions: history.points
        .filter((p) => p.legId === leg.legId && p.lat !== undefined && p.lon !== undefined)
        .map((p) => [p.lon as number, p.lat as number, p.tsMs] as [number, number, number]),
    }));
    const track = trackGeoJson(
      tracks,
      report.excursions.map((e) => ({ rule: e.rule, severity: e.severity, startMs: e.startMs })),
    );
    return { receipt: summary.receipt, report, track, points: history.points };
  }, [token]);
  return (
    <Show loaded={loaded}>{(data) => <SharedRecord base={base} {...data} onRecorded={loaded.reload} />}</Show>
  );
}

function SharedRecord({
  base,
  receipt,
  report,
  track,
  points,
  onRecorded,
}: {
  base: string;
  receipt: Receipt | null;
  report: Report;
  track: ReturnType<typeof trackGeoJson>;
  points: HistoryPoint[];
  onRecorded: () => void;
}) {
  // Every reading came with the page: zooming in filters them, nothing more is read.
  const loadReadings = useCallback(
    async (fromMs: number, toMs: number) => points.filter((p) => p.tsMs >= fromMs && p.tsMs <= toMs),
    [points],
  );
  return (
    <>
      <p class="banner info">
        {t('sharedTitle')} · {t('sharedNote')}
      </p>
      <ShipmentView
        report={report}
        track={track}
        loadReadings={loadReadings}
        downloads={
          <>
            <a href={`${base}/report?format=pdf&lang=${lang()}`} target="_blank" rel="noreferrer">
              {t('pdf')}
            </a>{' '}
            <a href={`${base}/report?format=csv&lang=${lang()}`}>{t('csv')}</a>
          </>
        }
        extra={<ReceiptForm base={base} receipt={receipt} onRecorded={onRecorded} />}
      />
    </>
  );
}

/** `YYYY-MM-DDTHH:mm` in the reader's own zone, as a datetime-local input reads and writes it. */
function localInputValue(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function ReceiptForm({
  base,
  receipt,
  onRecorded,
}: {
  base: string;
  receipt: Receipt | null;
  onRecorded: () => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [decision, setDecision] = useState<'accepted' | 'rejected'>('accepted');
  if (receipt)
    return (
      <section class="card" data-testid="receipt-done">
        <h2>{t('receiptDone')}</h2>
        <p>
          {t(receipt.decision)} · {receipt.receivedBy}
        </p>
      </section>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    setError(null);
    try {
      await postJson(`${base}/receipt`, {
        arrivedAt: new Date(text('arrivedAt')).toISOString(),
        tempC: Number(text('tempC')),
        decision,
        receivedBy: text('receivedBy'),
        ...(text('reason') ? { reason: text('reason') } : {}),
        ...(text('place') ? { place: text('place') } : {}),
      });
      onRecorded();
    } catch (err) {
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    }
  };
  return (
    <form class="card receipt-form" onSubmit={submit} data-testid="receipt-form">
      <h2>{t('receipt')}</h2>
      <label>
        {t('arrivedAt')}
        <input name="arrivedAt" type="datetime-local" required defaultValue={localInputValue(Date.now())} />
      </label>
      <label>
        {t('arrivalTemp')}
        <input name="tempC" type="number" step="0.1" min="-100" max="100" required inputMode="decimal" />
      </label>
      <fieldset>
        <legend>{t('decision')}</legend>
        {(['accepted', 'rejected'] as const).map((d) => (
          <label key={d} class="inline">
            <input type="radio" name="decision" checked={decision === d} onChange={() => setDecision(d)} />
            {t(d)}
          </label>
        ))}
      </fieldset>
      {decision === 'rejected' && (
        <label>
          {t('reason')}
          <textarea name="reason" required maxLength={2000} />
        </label>
      )}
      <label>
        {t('receivedBy')}
        <input name="receivedBy" required maxLength={200} />
      </label>
      <label>
        {t('place')}
        <input name="place" maxLength={200} />
      </label>
      {error && (
        <p class="error-panel" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary">
        {t('record')}
      </button>
    </form>
  );
}
