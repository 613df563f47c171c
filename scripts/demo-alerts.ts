// The demo's console shows alerts as an operator would read them: one line when an alert is raised,
// one when its status changes (acknowledged, resolved, reopened). Read from the metadata store's
// change order (`changedAfter`), as the api's live stream resumes, so none is missed or told twice.
import type { Alert, MetadataStore } from '@coldchain/store';

export interface AlertWatch {
  stop(): void;
}

const formatTime = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** One line for an alert: severity, shipment, what happened, where and when (UTC). */
export function describeAlert(a: Alert): string {
  const peak = a.peakValue === null ? '' : `, peak ${a.peakValue}${a.rule === 'humidity' ? ' %' : ' °C'}`;
  const limit = a.limit === null ? '' : ` beyond ${a.limit}`;
  const when =
    a.endMs === null ? `since ${formatTime(a.startMs)}` : `${formatTime(a.startMs)}–${formatTime(a.endMs)}`;
  const holder = a.holder === null ? '' : `, held by ${a.holder}`;
  return `${a.severity.toUpperCase()} ${a.rule}${limit} on ${a.shipmentId ?? '-'} (${a.deviceId}${holder}) ${when} UTC${peak}`;
}

export function watchAlerts(
  store: MetadataStore,
  print: (line: string) => void,
  intervalMs = 1_000,
): AlertWatch {
  let after = { updatedAtMs: 0, id: 0 };
  const statusOf = new Map<number, Alert['status']>();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const changes = await store.listAlerts({ changedAfter: after, limit: 200 });
        for (const a of changes) {
          const before = statusOf.get(a.id);
          if (before === undefined) print(`alert ${describeAlert(a)}`);
          else if (before !== a.status) {
            const why = a.resolutionNote ?? a.note ?? '';
            print(`alert ${a.status}${why ? ` (${why})` : ''}: ${describeAlert(a)}`);
          }
          statusOf.set(a.id, a.status);
          after = { updatedAtMs: a.updatedAtMs, id: a.id };
        }
        if (changes.length < 200) break;
      }
    } catch {
      // The store is closing (shutdown) or busy: the next turn reads on from where this one was.
    } finally {
      busy = false;
    }
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
