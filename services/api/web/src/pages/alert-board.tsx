import type { AlertEvent } from '@coldchain/schema';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { soundAlarm } from '../alert-cue.js';
import { boardOrder, mergeAlert } from '../alert-order.js';
import { followAlerts } from '../alert-stream.js';
import { getJson } from '../api-client.js';
import { AlertActions } from '../components/alert-actions.js';
import { ErrorPanel, Loading } from '../components/load-state.js';
import { formatDuration, formatPct, formatTemp, formatTime } from '../format.js';
import { t, tOr } from '../i18n.js';
import { href } from '../router.js';
import type { Alert, Page, WhoAmI } from '../types.js';

const formatValue = (alert: Alert, v: number | null) =>
  alert.rule === 'humidity' ? formatPct(v, 1) : formatTemp(v);

/**
 * Open and acknowledged alerts, live: the stream starts before the first page is read (events
 * that arrive meanwhile are merged by `updatedAtMs`), so nothing between the two is missed.
 */
export function AlertBoard({ user }: { user: WhoAmI['user'] }) {
  const [board, setBoard] = useState<Map<number, Alert> | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [connected, setConnected] = useState<boolean | null>(null);
  const [cue, setCue] = useState<Alert | null>(null);
  const [fresh, setFresh] = useState<Set<number>>(new Set());
  const [nowMs, setNowMs] = useState(Date.now());
  const [round, setRound] = useState(0);

  useEffect(() => {
    const timer = setInterval(() => setNowMs(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    // Events before the first page are held, then merged into it.
    let early: AlertEvent[] | null = [];
    const apply = (event: AlertEvent) => {
      if (early) {
        early.push(event);
        return;
      }
      setBoard((b) => mergeAlert(b ?? new Map(), event.alert));
      if (
        event.event === 'alert.created' &&
        event.alert.severity === 'critical' &&
        event.alert.status === 'open'
      ) {
        setCue(event.alert);
        setFresh((s) => new Set(s).add(event.alert.id));
        soundAlarm();
      }
    };
    const stop = followAlerts({ onEvent: apply, onConnection: setConnected, onRefused: setLoadError });
    getJson<Page<Alert>>('/v1/alerts?status=open,acknowledged&limit=1000').then(
      (page) => {
        let first = new Map<number, Alert>();
        for (const alert of page.items) first = mergeAlert(first, alert);
        for (const event of early ?? []) first = mergeAlert(first, event.alert);
        early = null;
        setBoard(first);
        setLoadError(null);
      },
      (err: Error) => setLoadError(err),
    );
    return stop;
  }, [round]);

  const alerts = useMemo(() => (board ? [...board.values()].sort(boardOrder) : []), [board]);
  const canAct = user.role === 'admin' || user.role === 'operator';
  const changed = (alert: Alert) => setBoard((b) => (b ? mergeAlert(b, alert) : b));

  return (
    <section class="board">
      <div class="page-head">
        <h1>{t('navBoard')}</h1>
        <span class={`live ${connected ? 'on' : 'off'}`} data-testid="stream-state">
          {connected ? t('streamLive') : ''}
        </span>
      </div>
      {connected === false && (
        <div class="banner disconnected" role="status" data-testid="stream-banner">
          {t('streamDown')}
        </div>
      )}
      {cue && (
        <div class="banner critical-cue" role="alert" data-testid="critical-cue">
          <strong>{t('newCritical')}</strong> {cue.shipmentId ?? cue.deviceId} ·{' '}
          {tOr(`rule_${cue.rule}`, cue.rule)} · {formatValue(cue, cue.peakValue)}
          <button type="button" onClick={() => setCue(null)} aria-label="×">
            ×
          </button>
        </div>
      )}
      {loadError && <ErrorPanel error={loadError} retry={() => setRound((r) => r + 1)} />}
      {!loadError && !board && <Loading />}
      {board && alerts.length === 0 && <p class="empty">{t('noAlerts')}</p>}
      {alerts.length > 0 && (
        <table class="alerts responsive">
          <thead>
            <tr>
              <th>{t('severity')}</th>
              <th>{t('shipment')}</th>
              <th>{t('device')}</th>
              <th>{t('holder')}</th>
              <th>{t('rule')}</th>
              <th>{t('peak')}</th>
              <th>{t('limit')}</th>
              <th>{t('lasted')}</th>
              <th>{t('status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {alerts.map((alert) => (
              <tr
                key={alert.id}
                data-testid="alert-row"
                data-alert-id={alert.id}
                data-status={alert.status}
                class={`sev-${alert.severity} ${fresh.has(alert.id) ? 'fresh' : ''}`}
              >
                <td data-label={t('severity')}>
                  <span class={`badge sev-${alert.severity}`}>{t(alert.severity)}</span>
                </td>
                <td data-label={t('shipment')}>
                  {alert.shipmentId ? <a href={href.shipment(alert.shipmentId)}>{alert.shipmentId}</a> : '—'}
                </td>
                <td data-label={t('device')}>{alert.deviceId}</td>
                <td data-label={t('holder')}>{alert.holder ?? '—'}</td>
                <td data-label={t('rule')}>{tOr(`rule_${alert.rule}`, alert.rule)}</td>
                <td data-label={t('peak')}>{formatValue(alert, alert.peakValue)}</td>
                <td data-label={t('limit')}>{formatValue(alert, alert.limit)}</td>
                <td data-label={t('lasted')}>
                  {formatDuration((alert.endMs ?? nowMs) - alert.startMs)}
                  {alert.endMs === null && <span class="ongoing"> · {t('ongoing')}</span>}
                  <div class="sub">{formatTime(alert.startMs)}</div>
                </td>
                <td data-label={t('status')}>
                  <span class={`badge st-${alert.status}`} data-testid="alert-status">
                    {t(alert.status)}
                  </span>
                  {alert.acknowledgedBy && (
                    <div class="sub">
                      {alert.acknowledgedBy}
                      {alert.note ? `: ${alert.note}` : ''}
                    </div>
                  )}
                </td>
                <td>
                  <AlertActions alert={alert} canAct={canAct} onChanged={changed} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
