import type { InfluxConnection } from '@coldchain/influx';
import type { MetadataStore, ReadingChanges } from '@coldchain/store';
import { diffReadingLines } from './reading-changes.js';
import { linesDigest } from './reading-lines.js';
import { type SignedReportFields, verifyReportSignature } from './report-signature.js';
import { readCanonicalLines } from './shipment-evidence.js';
import type { ReportSigningKey } from './signing-key.js';

/** A report's integrity block as it was handed to us. */
export interface ReportClaim extends SignedReportFields {
  signature: string;
}

export type VerificationProblemCode =
  | 'signature_invalid'
  | 'unknown_revision'
  | 'not_as_issued'
  | 'digest_mismatch'
  | 'readings_changed';

export interface VerificationResult {
  valid: boolean;
  shipmentId: string;
  revision: number;
  keyId: string;
  signatureValid: boolean;
  /** The digest recomputed now from the stored readings of the revision's legs and windows. */
  recomputedDigest: string | null;
  problems: Array<{ code: VerificationProblemCode; message: string }>;
  /** What differs between the readings the revision rests on and those stored now; null when valid. */
  changes: ReadingChanges | null;
}

/**
 * Checks a report: the signature is ours over exactly its fields; it is a revision we issued; and
 * the readings stored now, for each leg's device over the leg's window as of the revision's
 * issue, give the same digest. When they do not, the revision's own lines say exactly which
 * readings were added, removed or changed, with old and new values.
 */
export async function verifyReportClaim(
  deps: { store: MetadataStore; influx: InfluxConnection; key: ReportSigningKey },
  claim: ReportClaim,
): Promise<VerificationResult> {
  const problems: VerificationResult['problems'] = [];
  const signatureValid = verifyReportSignature(deps.key.publicKey, claim, claim.signature);
  if (!signatureValid)
    problems.push({
      code: 'signature_invalid',
      message: `the signature is not this server's (key ${deps.key.keyId}) over these fields: the report was altered, or signed elsewhere`,
    });
  const base = {
    shipmentId: claim.shipmentId,
    revision: claim.revision,
    keyId: deps.key.keyId,
    signatureValid,
  };
  const issued = await deps.store.getReportRevision(claim.shipmentId, claim.revision);
  if (!issued) {
    problems.push({
      code: 'unknown_revision',
      message: `shipment ${claim.shipmentId} has no report revision ${claim.revision}`,
    });
    return { ...base, valid: false, recomputedDigest: null, problems, changes: null };
  }
  const differing = (['digest', 'verdict', 'issuedAtMs', 'signature'] as const).filter(
    (f) => issued[f] !== claim[f],
  );
  if (differing.length > 0)
    problems.push({
      code: 'not_as_issued',
      message: `revision ${claim.revision} was issued with another ${differing.join(', ')}`,
    });
  const legs = await deps.store.legsOfShipment(claim.shipmentId);
  const lines = await readCanonicalLines(deps.influx, legs, issued.issuedAtMs);
  const recomputedDigest = linesDigest(lines);
  let changes: ReadingChanges | null = null;
  if (recomputedDigest !== claim.digest)
    problems.push({
      code: 'digest_mismatch',
      message: `the stored readings give digest ${recomputedDigest}, the report says ${claim.digest}`,
    });
  if (recomputedDigest !== issued.digest) {
    changes = diffReadingLines(issued.readingLines, lines);
    const { added, removed, changed } = changes;
    problems.push({
      code: 'readings_changed',
      message: `since revision ${issued.revision} was issued: ${added.length} reading(s) added, ${removed.length} removed, ${changed.length} changed`,
    });
  }
  return { ...base, valid: problems.length === 0, recomputedDigest, problems, changes };
}
