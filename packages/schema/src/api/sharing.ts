import { z } from 'zod';
import { instantSchema, partyNameSchema } from './common.js';

export const SHARE_LINK_STATES = ['active', 'expired', 'revoked'] as const;

/** Share links last at most this long: a consignee needs days, not a standing key. */
export const MAX_SHARE_LINK_HOURS = 24 * 90;

export const newShareLinkSchema = z
  .object({
    label: z.string().trim().max(200).optional().meta({ description: 'Who it is for, e.g. the consignee' }),
    expiresInHours: z.number().int().min(1).max(MAX_SHARE_LINK_HOURS).optional().meta({
      description: 'Default 336 (14 days)',
    }),
    expiresAt: instantSchema
      .optional()
      .meta({ description: 'Instead of `expiresInHours`: an instant to come' }),
  })
  .strict()
  .refine((b) => b.expiresAt === undefined || b.expiresInHours === undefined, {
    path: ['expiresAt'],
    message: 'give expiresAt or expiresInHours, not both',
  })
  .meta({ id: 'NewShareLink' });

export const shareLinkSchema = z
  .object({
    id: z.string(),
    shipmentId: z.string(),
    createdBy: z.string(),
    label: z.string(),
    createdAtMs: z.number().int(),
    expiresAtMs: z.number().int(),
    revokedAtMs: z.number().int().nullable(),
    revokedBy: z.string().nullable(),
    state: z.enum(SHARE_LINK_STATES),
  })
  .meta({ id: 'ShareLink' });

export const issuedShareLinkSchema = z
  .object({
    link: shareLinkSchema,
    token: z.string().meta({ description: 'Shown once: whoever holds it reads this one shipment' }),
    path: z.string().meta({ description: '`/v1/shared/{token}`' }),
  })
  .meta({ id: 'IssuedShareLink' });

export const shareLinkListQuerySchema = z.object({ state: z.enum(SHARE_LINK_STATES).optional() });

export const shareLinkListSchema = z
  .object({ shipmentId: z.string(), links: z.array(shareLinkSchema) })
  .meta({ id: 'ShareLinkList' });

export const shareLinkIdParamSchema = z.object({
  linkId: z.string().min(1).max(64),
});

export const shareTokenParamSchema = z.object({
  token: z.string().min(1).max(512),
});

export const receiptRequestSchema = z
  .object({
    arrivedAt: instantSchema.meta({ description: 'When the goods arrived (event time)' }),
    tempC: z.number().min(-100).max(100).meta({ description: 'Temperature measured at arrival, °C' }),
    decision: z.enum(['accepted', 'rejected']),
    reason: z.string().trim().min(1).max(2000).optional().meta({ description: 'Required when rejected' }),
    receivedBy: partyNameSchema.meta({ description: 'The person who received the goods' }),
    place: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .refine((r) => r.decision === 'accepted' || r.reason !== undefined, {
    path: ['reason'],
    message: 'a rejection needs a reason',
  })
  .meta({ id: 'ReceiptRequest' });

export const receiptSchema = z
  .object({
    shipmentId: z.string(),
    linkId: z.string().nullable(),
    arrivedAtMs: z.number().int(),
    arrivalTempC: z.number().nullable(),
    decision: z.enum(['accepted', 'rejected']),
    reason: z.string().nullable(),
    receivedBy: z.string(),
    place: z.string().nullable(),
    legId: z.number().int(),
    recordedAtMs: z.number().int(),
  })
  .meta({ id: 'Receipt', description: 'The consignee’s receipt: the final handover of the custody chain' });
