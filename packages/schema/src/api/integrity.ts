import { z } from 'zod';
import { shipmentIdSchema } from '../ids.js';

const values = z
  .record(z.string(), z.string())
  .meta({ description: 'Values as the canonical lines write them: `temp.air` → `"3.4"`' });
const readingRef = { legId: z.number().int(), deviceId: z.string(), tsMs: z.number().int() };

export const readingChangesSchema = z
  .object({
    added: z.array(z.object({ ...readingRef, values })),
    removed: z.array(z.object({ ...readingRef, values })),
    changed: z.array(z.object({ ...readingRef, before: values, after: values })),
  })
  .meta({
    id: 'ReadingChanges',
    description: 'Readings added, removed and changed, by leg, device and timestamp',
  });

export const revisionExcursionSchema = z
  .object({
    key: z.string(),
    rule: z.string(),
    severity: z.enum(['warning', 'critical']),
    deviceId: z.string(),
    legId: z.number().int(),
    startMs: z.number().int(),
    endMs: z.number().int().nullable(),
    peakValue: z.number().nullable(),
  })
  .meta({ id: 'RevisionExcursion' });

export const revisionChangesSchema = z
  .object({
    sinceRevision: z.number().int(),
    readings: readingChangesSchema,
    excursions: z.object({
      added: z.array(revisionExcursionSchema),
      changed: z.array(z.object({ before: revisionExcursionSchema, after: revisionExcursionSchema })),
      removed: z.array(revisionExcursionSchema),
    }),
    verdict: z.object({ before: z.string(), after: z.string() }).nullable(),
  })
  .meta({ id: 'RevisionChanges', description: 'What a revision changed since the one before it' });

export const reportRevisionSchema = z
  .object({
    shipmentId: z.string(),
    revision: z.number().int().min(1),
    issuedAtMs: z.number().int(),
    digest: z.string(),
    verdict: z.string(),
    signature: z.string(),
    keyId: z.string(),
    readingCount: z.number().int(),
    excursions: z.array(revisionExcursionSchema),
    changes: revisionChangesSchema.nullable(),
  })
  .meta({ id: 'ReportRevision', description: 'One signed revision of a shipment’s report' });

export const reportRevisionListSchema = z
  .object({ shipmentId: z.string(), revisions: z.array(reportRevisionSchema) })
  .meta({ id: 'ReportRevisionList' });

/** The part of a report that is signed, and what `/v1/verify` checks. */
export const reportIntegritySchema = z
  .object({
    shipmentId: shipmentIdSchema,
    revision: z.number().int().min(1),
    issuedAtMs: z.number().int().min(0),
    verdict: z.string().min(1).max(32),
    digest: z.string().regex(/^[0-9a-f]{64}$/, 'hex SHA-256'),
    signature: z.string().min(1).max(200),
    keyId: z.string().optional(),
    keyUrl: z.string().optional(),
  })
  .meta({
    id: 'ReportIntegrity',
    description:
      'Ed25519 signature (base64url) over `coldchain-report-v1\\n` + JSON of shipmentId, revision, issuedAtMs, verdict, digest in that order',
  });

export const verifyRequestSchema = z
  .union([reportIntegritySchema, z.looseObject({ integrity: reportIntegritySchema })])
  .meta({
    id: 'VerifyRequest',
    description: 'A report (JSON) carrying `integrity`, or the integrity block alone',
  });

export const verificationSchema = z
  .object({
    valid: z.boolean(),
    shipmentId: z.string(),
    revision: z.number().int(),
    keyId: z.string(),
    signatureValid: z.boolean(),
    recomputedDigest: z.string().nullable(),
    problems: z.array(
      z.object({
        code: z.enum([
          'signature_invalid',
          'unknown_revision',
          'not_as_issued',
          'digest_mismatch',
          'readings_changed',
        ]),
        message: z.string(),
      }),
    ),
    changes: readingChangesSchema.nullable(),
  })
  .meta({ id: 'Verification' });

export const signingKeySchema = z
  .object({
    keyId: z.string(),
    algorithm: z.literal('Ed25519'),
    publicKeyPem: z.string(),
    jwk: z.object({
      kty: z.literal('OKP'),
      crv: z.literal('Ed25519'),
      x: z.string(),
      kid: z.string(),
      use: z.literal('sig'),
      alg: z.literal('EdDSA'),
    }),
    signedPayload: z.string(),
  })
  .meta({ id: 'ReportSigningKey', description: 'The public key that report signatures verify with' });
