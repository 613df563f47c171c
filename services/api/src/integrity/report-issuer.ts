import type { MetadataStore, ReportRevision, RevisionExcursion } from '@coldchain/store';
import { StoreError } from '@coldchain/store';
import { diffExcursions, sameExcursions } from './excursion-changes.js';
import { diffReadingLines } from './reading-changes.js';
import { signReport } from './report-signature.js';
import type { ReportSigningKey } from './signing-key.js';

/** What a report says, to be issued as a revision. */
export interface ReportToIssue {
  shipmentId: string;
  /** Canonical reading lines, sorted (see reading-lines.ts), and their digest. */
  lines: string[];
  digest: string;
  excursions: RevisionExcursion[];
  verdict: string;
}

export interface IssuedRevision {
  revision: ReportRevision;
  /** True when the latest revision already said all this and was returned unchanged. */
  reused: boolean;
}

/** Attempts at storing the next number before giving up (each loses only to a caller that stored one). */
const ATTEMPTS = 5;

/**
 * Issues a shipment's report as a signed revision: the latest one when its digest, excursions and
 * verdict are what the report says now (a report issued twice over the same record is the same
 * revision), else revision n+1 with what changed since n. The store refuses a number that is not
 * the next one, so of two callers at once one stores it and the other, reading again, finds it
 * and reuses it: one revision either way, whichever process they run in.
 */
export async function issueReportRevision(
  deps: { store: MetadataStore; key: ReportSigningKey; now: () => number },
  report: ReportToIssue,
): Promise<IssuedRevision> {
  for (let attempt = 1; ; attempt++) {
    // Compared without its reading lines (decompressing a month of them costs more than the rest
    // of a report); they are read only when a new revision has to say what changed.
    const current = (await deps.store.listReportRevisions(report.shipmentId)).at(-1);
    if (
      current &&
      current.digest === report.digest &&
      current.verdict === report.verdict &&
      sameExcursions(current.excursions, report.excursions)
    )
      return { revision: current, reused: true };
    const latest = current ? await deps.store.getReportRevision(report.shipmentId, current.revision) : null;
    const number = (latest?.revision ?? 0) + 1;
    const issuedAtMs = deps.now();
    const fields = {
      shipmentId: report.shipmentId,
      revision: number,
      issuedAtMs,
      verdict: report.verdict,
      digest: report.digest,
    };
    try {
      const revision = await deps.store.addReportRevision({
        ...fields,
        signature: signReport(deps.key, fields),
        keyId: deps.key.keyId,
        readingLines: report.lines,
        excursions: report.excursions,
        changes: latest
          ? {
              sinceRevision: latest.revision,
              readings: diffReadingLines(latest.readingLines, report.lines),
              excursions: diffExcursions(latest.excursions, report.excursions),
              verdict:
                latest.verdict === report.verdict ? null : { before: latest.verdict, after: report.verdict },
            }
          : null,
      });
      return { revision, reused: false };
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'conflict') || attempt >= ATTEMPTS) throw err;
    }
  }
}
