import { randomUUID } from 'node:crypto';
import {
  custodyLegSchema,
  issuedShareLinkSchema,
  MAX_SHARE_LINK_HOURS,
  newShareLinkSchema,
  receiptRequestSchema,
  receiptSchema,
  reportRevisionSchema,
  revisionExcursionSchema,
  shareLinkIdParamSchema,
  shareLinkListQuerySchema,
  shareLinkListSchema,
  shareLinkSchema,
  shareTokenParamSchema,
  shipmentIdParamSchema,
  shipmentSchema,
  verificationSchema,
  verifyRequestSchema,
} from '@coldchain/schema';
import type { ShareLink } from '@coldchain/store';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiContext } from '../api-deps.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppEnv } from '../http/app-env.js';
import { commonErrors, conflictError, jsonResponse, notFoundError } from '../http/responses.js';
import { visibleShipment } from '../http/shipment-access.js';
import { evaluateShipment } from '../http/shipment-excursions.js';
import { verifyReportClaim } from '../integrity/report-verification.js';
import { legsAsOf, readLegsPoints } from '../integrity/shipment-evidence.js';
import type { ReportSigningKey } from '../integrity/signing-key.js';
import type { ShareScope } from '../sharing/share-scope.js';
import { shareLinkState } from '../sharing/share-scope.js';
import { signShareToken } from '../sharing/share-token.js';
import { claimOf } from './integrity.js';

const tags = ['Sharing'];
const security = [{ bearer: [] }];
const HOUR_MS = 3_600_000;
const DEFAULT_HOURS = 24 * 14;

const linkError = {
  401: {
    description: 'The link is tampered, expired or revoked',
    content: { 'application/json': { schema: z.object({ error: z.object({ code: z.string() }) }) } },
  },
};

export interface SharingDeps {
  secret: Buffer;
  shareScope: (token: string) => Promise<ShareScope>;
  key: ReportSigningKey;
}

/**
 * Share links: a shipper (its own shipments) or an operator hands a consignee a signed, expiring,
 * revocable read-only link to one shipment. The link holder reads that shipment's summary,
 * history and excursions, verifies its report, and records receipt: the final handover of the
 * custody chain, accepted or rejected. Link routes take no bearer token; the token in the path is
 * the credential, and every answer is scoped to its one shipment.
 */
export function sharingRoutes(app: OpenAPIHono<AppEnv>, deps: ApiContext, sharing: SharingDeps) {
  const { store, log } = deps;
  const now = deps.now ?? Date.now;
  const view = (link: ShareLink) => ({ ...link, state: shareLinkState(link, now()) });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shipments/{id}/share-links',
      tags,
      security,
      summary: 'Create a share link',
      description:
        'A read-only link to this shipment for its consignee. The token is shown once. Shippers may share their own shipments; operators and admins any.',
      request: {
        params: shipmentIdParamSchema,
        body: { content: { 'application/json': { schema: newShareLinkSchema } }, required: false },
      },
      responses: {
        201: jsonResponse(issuedShareLinkSchema, 'The link and its token'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      await visibleShipment(store, caller, id);
      const expiresAtMs = body.expiresAt ?? now() + (body.expiresInHours ?? DEFAULT_HOURS) * HOUR_MS;
      if (expiresAtMs <= now() || expiresAtMs > now() + MAX_SHARE_LINK_HOURS * HOUR_MS)
        throw new ApiError(
          'validation_failed',
          `body.expiresAt: must be within ${MAX_SHARE_LINK_HOURS} hours from now`,
          {
            issues: [{ path: 'body.expiresAt', message: 'in the past or too far ahead' }],
          },
        );
      const link = await store.createShareLink({
        id: randomUUID(),
        shipmentId: id,
        createdBy: caller.user.id,
        label: body.label ?? '',
        expiresAtMs,
      });
      const token = signShareToken(sharing.secret, { linkId: link.id, shipmentId: id, expiresAtMs });
      log.info({ shipmentId: id, linkId: link.id, by: caller.user.id }, 'share link created');
      return c.json({ link: view(link), token, path: `/v1/shared/${token}` }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shipments/{id}/share-links',
      tags,
      security,
      summary: 'Share links of a shipment',
      description: 'Oldest first, each `active`, `expired` or `revoked`; `state=` filters.',
      request: { params: shipmentIdParamSchema, query: shareLinkListQuerySchema },
      responses: { 200: jsonResponse(shareLinkListSchema, 'Links'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { state } = c.req.valid('query');
      await visibleShipment(store, c.get('caller'), id);
      const links = (await store.listShareLinks(id)).map(view).filter((l) => !state || l.state === state);
      return c.json({ shipmentId: id, links }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/share-links/{linkId}/revoke',
      tags,
      security,
      summary: 'Revoke a share link',
      description:
        'For good; revoking again changes nothing. A link of a shipment the caller cannot see is 404.',
      request: { params: shareLinkIdParamSchema },
      responses: {
        200: jsonResponse(shareLinkSchema, 'The revoked link'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      const { linkId } = c.req.valid('param');
      const link = await store.getShareLink(linkId);
      if (!link) throw notFound(`share link ${linkId}`);
      await visibleShipment(store, caller, link.shipmentId).catch(() => {
        throw notFound(`share link ${linkId}`);
      });
      const revoked = await store.revokeShareLink(linkId, caller.user.id);
      log.info({ shipmentId: link.shipmentId, linkId, by: caller.user.id }, 'share link revoked');
      return c.json(view(revoked), 200);
    },
  );

  const shipmentOf = async (token: string) => {
    const scope = await sharing.shareScope(token);
    const shipment = await store.getShipment(scope.shipmentId);
    if (!shipment) throw notFound(`shipment ${scope.shipmentId}`);
    return { scope, shipment };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shared/{token}',
      tags,
      security: [],
      summary: 'The shared shipment',
      description: 'The shipment, its custody chain, receipt and latest report revision.',
      request: { params: shareTokenParamSchema },
      responses: {
        200: jsonResponse(
          z.object({
            shipment: shipmentSchema,
            legs: z.array(custodyLegSchema),
            receipt: receiptSchema.nullable(),
            latestRevision: reportRevisionSchema.nullable(),
            link: z.object({ id: z.string(), expiresAtMs: z.number().int() }),
          }),
          'Summary',
        ),
        ...linkError,
      },
    }),
    async (c) => {
      const { scope, shipment } = await shipmentOf(c.req.valid('param').token);
      const [legs, receipt, latest, link] = await Promise.all([
        store.legsOfShipment(shipment.id),
        store.getReceipt(shipment.id),
        store.listReportRevisions(shipment.id),
        store.getShareLink(scope.linkId),
      ]);
      return c.json(
        {
          shipment,
          legs,
          receipt,
          latestRevision: latest.at(-1) ?? null,
          link: { id: scope.linkId, expiresAtMs: (link as ShareLink).expiresAtMs },
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shared/{token}/history',
      tags,
      security: [],
      summary: 'History of the shared shipment',
      description: 'Every stored reading of each custody leg’s device inside its window, oldest first.',
      request: { params: shareTokenParamSchema },
      responses: {
        200: jsonResponse(
          z.object({ shipmentId: z.string(), points: z.array(z.looseObject({ tsMs: z.number() })) }),
          'Points',
        ),
        ...linkError,
      },
    }),
    async (c) => {
      const { shipment } = await shipmentOf(c.req.valid('param').token);
      const legs = await store.legsOfShipment(shipment.id);
      const points = await readLegsPoints(deps.influx, legsAsOf(legs, now()));
      return c.json({ shipmentId: shipment.id, points }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/shared/{token}/excursions',
      tags,
      security: [],
      summary: 'Excursions of the shared shipment',
      description: 'What the breach engine finds over the stored readings, with the holder at the time.',
      request: { params: shareTokenParamSchema },
      responses: {
        200: jsonResponse(
          z.object({
            shipmentId: z.string(),
            asOfMs: z.number().int(),
            excursions: z.array(
              revisionExcursionSchema.extend({ holder: z.string(), durationMs: z.number().nullable() }),
            ),
          }),
          'Excursions',
        ),
        ...linkError,
      },
    }),
    async (c) => {
      const { shipment } = await shipmentOf(c.req.valid('param').token);
      const at = now();
      const result = await evaluateShipment(deps, shipment, await store.legsOfShipment(shipment.id), at);
      const excursions = result.excursions.map((e) => ({
        key: e.key,
        rule: e.rule,
        severity: e.severity,
        deviceId: e.deviceId,
        legId: e.legId,
        holder: e.holder,
        startMs: e.startMs,
        endMs: e.endMs,
        durationMs: e.durationMs,
        peakValue: e.peak?.value ?? null,
      }));
      return c.json({ shipmentId: shipment.id, asOfMs: at, excursions }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shared/{token}/receipt',
      tags,
      security: [],
      summary: 'Record receipt of the shared shipment',
      description:
        'The consignee records arrival time, measured temperature, who received and accept or reject (with a reason). It ends the open custody leg there (the final handover, GB/T 40956-2021) and moves an in-transit shipment to delivered. Once per shipment: a second is 409.',
      request: {
        params: shareTokenParamSchema,
        body: { content: { 'application/json': { schema: receiptRequestSchema } }, required: true },
      },
      responses: {
        201: jsonResponse(z.object({ receipt: receiptSchema, leg: custodyLegSchema }), 'The receipt'),
        400: commonErrors[400],
        ...linkError,
        ...conflictError,
      },
    }),
    async (c) => {
      const { scope, shipment } = await shipmentOf(c.req.valid('param').token);
      const body = c.req.valid('json');
      const recorded = await store.recordReceipt({
        shipmentId: shipment.id,
        linkId: scope.linkId,
        arrivedAtMs: body.arrivedAt,
        arrivalTempC: body.tempC,
        decision: body.decision,
        reason: body.reason ?? null,
        receivedBy: body.receivedBy,
        place: body.place ?? null,
      });
      if (shipment.status === 'in_transit')
        await store.updateShipmentStatus(shipment.id, 'delivered', body.arrivedAt).catch((err: unknown) => {
          // Another caller moved it meanwhile: the receipt stands either way.
          log.warn({ err, shipmentId: shipment.id }, 'could not mark the received shipment delivered');
        });
      log.info(
        { shipmentId: shipment.id, linkId: scope.linkId, decision: body.decision },
        'receipt recorded through a share link',
      );
      void deps.feed
        .publishCustodyChange(shipment.id)
        .catch((err: unknown) =>
          log.error({ err, shipmentId: shipment.id }, 'could not announce a custody change'),
        );
      return c.json(recorded, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/shared/{token}/verify',
      tags,
      security: [],
      summary: 'Verify the shared shipment’s report',
      description: 'As `/v1/verify`, for a report of the shared shipment only.',
      request: {
        params: shareTokenParamSchema,
        body: { content: { 'application/json': { schema: verifyRequestSchema } }, required: true },
      },
      responses: { 200: jsonResponse(verificationSchema, 'The verdict'), ...linkError, ...notFoundError },
    }),
    async (c) => {
      const { shipment } = await shipmentOf(c.req.valid('param').token);
      const claim = claimOf(c.req.valid('json'));
      if (claim.shipmentId !== shipment.id) throw notFound(`shipment ${claim.shipmentId}`);
      return c.json(await verifyReportClaim({ store, influx: deps.influx, key: sharing.key }, claim), 200);
    },
  );
}
