import { z } from 'zod';
import { instantSchema, partyNameSchema } from './common.js';

export const API_ROLE_VALUES = ['admin', 'operator', 'shipper'] as const;

const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'a user id of 1 to 64 letters, digits or _.@-');

export const apiUserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(API_ROLE_VALUES),
    shipper: z.string().nullable().meta({ description: 'For a shipper: whose shipments it sees' }),
    disabled: z.boolean(),
    createdAtMs: z.number().int(),
  })
  .meta({ id: 'User' });

export const newApiUserSchema = z
  .object({
    id: userIdSchema,
    name: partyNameSchema,
    role: z.enum(API_ROLE_VALUES),
    shipper: partyNameSchema.optional().meta({ description: 'Required for role shipper, refused otherwise' }),
  })
  .strict()
  .refine((u) => (u.role === 'shipper') === (u.shipper !== undefined), {
    path: ['shipper'],
    message: 'required for role shipper and only for it',
  })
  .meta({ id: 'NewUser' });

export const apiTokenSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    label: z.string(),
    createdAtMs: z.number().int(),
    expiresAtMs: z.number().int().nullable(),
    revokedAtMs: z.number().int().nullable(),
  })
  .meta({ id: 'Token' });

export const newApiTokenSchema = z
  .object({
    label: z.string().trim().max(100).optional(),
    expiresAt: instantSchema.optional(),
  })
  .strict()
  .meta({ id: 'NewToken' });

export const issuedTokenSchema = z
  .object({
    token: z.string().meta({ description: 'The bearer token: shown once, only its hash is stored' }),
    record: apiTokenSchema,
  })
  .meta({ id: 'IssuedToken' });

export const userIdParamSchema = z.object({ id: userIdSchema });
export const tokenIdParamSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

export const whoAmISchema = z.object({ user: apiUserSchema }).meta({ id: 'WhoAmI' });
