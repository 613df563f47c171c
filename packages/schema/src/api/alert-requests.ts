import { z } from 'zod';
import { deviceIdSchema, shipmentIdSchema } from '../ids.js';
import { cursorSchema, instantSchema, limitSchema, noteSchema, partyNameSchema } from './common.js';

const ALERT_STATUS_VALUES = ['open', 'acknowledged', 'resolved'] as const;

export const alertListQuerySchema = z.object({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(ALERT_STATUS_VALUES)).min(1).max(3))
    .optional()
    .meta({ description: 'One or more of open, acknowledged, resolved, comma-separated' }),
  severity: z.enum(['warning', 'critical']).optional(),
  rule: z.enum(['range', 'critical', 'cumulative', 'humidity', 'door', 'gap', 'early_warning']).optional(),
  shipmentId: shipmentIdSchema.optional(),
  deviceId: deviceIdSchema.optional(),
  from: instantSchema.optional().meta({ description: 'Excursions overlapping [from, to)' }),
  to: instantSchema.optional(),
  cursor: cursorSchema.optional(),
  limit: limitSchema,
});

export const alertIdParamSchema = z.object({ id: z.coerce.number().int().min(1) });

export const alertNoteSchema = z.object({ note: noteSchema }).strict().meta({ id: 'AlertNote' });

export const alertAssignmentSchema = z
  .object({ to: partyNameSchema.nullable().meta({ description: 'Operator name; null unassigns' }) })
  .strict()
  .meta({ id: 'AlertAssignment' });

export const newCommentSchema = z.object({ text: noteSchema }).strict().meta({ id: 'NewComment' });

export const alertCommentSchema = z
  .object({
    id: z.number().int(),
    alertId: z.number().int(),
    author: z.string(),
    text: z.string(),
    createdAtMs: z.number().int(),
  })
  .meta({ id: 'AlertComment', description: 'Append-only: never edited or deleted' });

export const alertCommentListSchema = z
  .object({ items: z.array(alertCommentSchema) })
  .meta({ id: 'AlertComments' });
