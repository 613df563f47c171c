import { formatTemp, formatTime } from '../format.js';
import { t } from '../i18n.js';
import type { Report } from '../types.js';

/** Who held the goods when (GB/T 40956-2021 handovers): holder, device, from, to, who handed over, temperature. */
export function CustodyChain({ custody }: { custody: Report['custody'] }) {
  return (
    <section class="card">
      <h2>{t('custodyChain')}</h2>
      <ol class="custody" data-testid="custody-chain">
        {custody.legs.map((leg) => (
          <li key={leg.legId}>
            <strong>{leg.holder}</strong> <span class="sub">({leg.deviceId})</span>
            <div>
              {formatTime(leg.fromMs)} → {leg.toMs === null ? t('ongoing') : formatTime(leg.toMs)}
            </div>
            <div class="sub">
              {leg.handedOverBy && (
                <>
                  {t('handedOverBy')}: {leg.handedOverBy} ·{' '}
                </>
              )}
              {t('handoverTemp')}: {formatTemp(leg.handoverTempC)}
              {leg.place && (
                <>
                  {' '}
                  · {t('place')}: {leg.place}
                </>
              )}
            </div>
          </li>
        ))}
        {custody.receipt && (
          <li class="receipt">
            <strong>
              {t('receipt')}: {t(custody.receipt.decision)}
            </strong>{' '}
            · {custody.receipt.receivedBy}
            <div>
              {formatTime(custody.receipt.arrivedAtMs)} · {formatTemp(custody.receipt.arrivalTempC)}
            </div>
          </li>
        )}
      </ol>
    </section>
  );
}
