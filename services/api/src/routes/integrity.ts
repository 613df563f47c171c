import {
  reportRevisionListSchema,
  reportRevisionSchema,
  shipmentIdParamSchema,
  signingKeySchema,
  verificationSchema,
  verifyRequestSchema,
} from '@coldchain/schema';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiContext } from '../api-deps.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, jsonResponse, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';
import { verifyReportClaim } from '../integrity/report-verification.js';
import type { ReportSigningKey } from '../integrity/signing-key.js';
import { SIGNING_KEY_PATH } from '../integrity/signing-key.js';
import { issueReport } from './report.js';

const tags = ['Verification'];
const security = [{ bearer: [] }];

export { SIGNING_KEY_PATH };

/** The integrity block of a verification request: the report's own, or the block alone. */
export const claimOf = (body: unknown) => {
  const parsed = verifyRequestSchema.parse(body);
  return 'integrity' in parsed ? parsed.integrity : parsed;
};

/**
 * Signed report revisions and their verification: the server's public key (unauthenticated: anyone
 * may check a signature), issuing a revision, listing them, and `/v1/verify`, which recomputes a
 * report's digest from the stored readings and says exactly what differs.
 */
export function integrityRoutes(app: OpenAPIHono<AppEnv>, deps: ApiContext, key: ReportSigningKey) {
  const { store } = deps;
  const now = deps.now ?? Date.now;

  app.openapi(
    createRoute({
      method: 'get',
      path: SIGNING_KEY_PATH,
      tags,
      security: [],
      summary: 'The public key reports are signed with',
      description:
        'Ed25519 (RFC 8032), as SPKI PEM and as a JWK (RFC 8037). A report’s `integrity.signature` verifies over `signedPayload` filled in with its fields. No token needed.',
      responses: { 200: jsonResponse(signingKeySchema, 'The key') },
    }),
    (c) =>
      c.json(
        {
          keyId: key.keyId,
          algorithm: 'Ed25519' as const,
          publicKeyPem: key.publicPem,
          jwk: key.publicJwk,
          signedPayload:
            'coldchain-report-v1\\n{"shipmentId":…,"revision":…,"issuedAtMs":…,"verdict":…,"digest":…}',
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipments/{id}/revisions',
      tags,
      security,
      summary: 'Issue the report as a signed revision',
      description:
        'Signs the digest of the readings the report rests on. When the record is what the latest revision says, that revision is returned (200); otherwise revision n+1 is stored with what changed since n (201). Two callers at once make one revision.',
      request: { params: shipmentIdParamSchema },
      responses: {
        200: jsonResponse(reportRevisionSchema, 'The latest revision, unchanged'),
        201: jsonResponse(reportRevisionSchema, 'A new revision'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const shipment = await visibleShipment(store, c.get('caller'), id);
      const { revision, reused } = await issueReport(deps, key, shipment, now());
      return reused ? c.json(revision, 200) : c.json(revision, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/revisions',
      tags,
      security,
      summary: 'Report revisions of a shipment',
      description: 'Every revision issued, oldest first, each with what changed since the one before.',
      request: { params: shipmentIdParamSchema },
      responses: {
        200: jsonResponse(reportRevisionListSchema, 'Revisions'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await visibleShipment(store, c.get('caller'), id);
      return c.json({ shipmentId: id, revisions: await store.listReportRevisions(id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/verify',
      tags,
      security,
      summary: 'Verify a report',
      description:
        'Takes a report (JSON, with its `integrity` block) or the block alone; checks the signature, that the revision was issued, and recomputes the digest from the stored readings of each leg’s device over its window. Invalid answers say exactly what differs: the readings added, removed or changed since that revision, with old and new values.',
      request: { body: { content: { 'application/json': { schema: verifyRequestSchema } }, required: true } },
      responses: { 200: jsonResponse(verificationSchema, 'The verdict'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const claim = claimOf(c.req.valid('json'));
      await visibleShipment(store, c.get('caller'), claim.shipmentId);
      return c.json(await verifyReportClaim({ store, influx: deps.influx, key }, claim), 200);
    },
  );
}
