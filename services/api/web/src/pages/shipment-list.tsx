import { getJson } from '../api-client.js';
import { Show, useLoad } from '../components/load-state.js';
import { formatTime } from '../format.js';
import { t, tOr } from '../i18n.js';
import { href } from '../router.js';
import type { Page, Shipment } from '../types.js';

/** Every shipment the caller may see (a shipper: its own), newest first. */
export function ShipmentList() {
  const loaded = useLoad(() => getJson<Page<Shipment>>('/v1/shipments?limit=1000'), []);
  return (
    <section>
      <h1>{t('shipments')}</h1>
      <Show loaded={loaded}>
        {(page) => (
          <table class="responsive">
            <thead>
              <tr>
                <th>{t('shipment')}</th>
                <th>{t('goods')}</th>
                <th>{t('shipper')}</th>
                <th>{t('consignee')}</th>
                <th>{t('status')}</th>
                <th>{t('from')}</th>
              </tr>
            </thead>
            <tbody>
              {[...page.items].reverse().map((s) => (
                <tr key={s.id} data-testid="shipment-row">
                  <td data-label={t('shipment')}>
                    <a href={href.shipment(s.id)}>{s.id}</a>
                  </td>
                  <td data-label={t('goods')}>{s.goods}</td>
                  <td data-label={t('shipper')}>{s.shipper}</td>
                  <td data-label={t('consignee')}>{s.consignee}</td>
                  <td data-label={t('status')}>{tOr(`shipmentStatus_${s.status}`, s.status)}</td>
                  <td data-label={t('from')}>{formatTime(s.actualDepartureMs ?? s.plannedDepartureMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </section>
  );
}
