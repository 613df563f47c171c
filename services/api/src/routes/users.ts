import {
  apiTokenSchema,
  apiUserSchema,
  issuedTokenSchema,
  newApiTokenSchema,
  newApiUserSchema,
  tokenIdParamSchema,
  userIdParamSchema,
  whoAmISchema,
} from '@coldchain/schema';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { requireRole } from '../auth/roles.js';
import { notFound } from '../http/api-error.js';
import type { AppEnv, Caller } from '../http/app-env.js';
import { commonErrors, conflictError, jsonBody, jsonResponse, notFoundError } from '../http/responses.js';

const tags = ['Users and tokens'];
const security = [{ bearer: [] }];

/** Admins create users and their tokens; anyone may ask who it is. */
export function userRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: ApiDeps,
  /** Stops trusting cached tokens that match (after a revocation). */
  forget: (match: (caller: Caller) => boolean) => void,
) {
  const { store, log } = deps;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/me',
      tags,
      security,
      summary: 'Who this token belongs to',
      responses: { 200: jsonResponse(whoAmISchema, 'The caller'), ...commonErrors },
    }),
    (c) => c.json({ user: c.get('caller').user }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/users',
      tags,
      security,
      summary: 'Create a user',
      description: 'A shipper user is bound to the shipper name its shipments carry, and sees only those.',
      request: { body: jsonBody(newApiUserSchema) },
      responses: { 201: jsonResponse(apiUserSchema, 'The user'), ...commonErrors, ...conflictError },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin');
      const body = c.req.valid('json');
      const user = await store.createApiUser({ ...body, shipper: body.shipper ?? null });
      log.info({ userId: user.id, role: user.role, by: caller.user.id }, 'user created');
      return c.json(user, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users',
      tags,
      security,
      summary: 'List users',
      responses: { 200: jsonResponse(z.object({ items: z.array(apiUserSchema) }), 'Users'), ...commonErrors },
    }),
    async (c) => {
      requireRole(c.get('caller'), 'admin');
      return c.json({ items: await store.listApiUsers() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/users/{id}/tokens',
      tags,
      security,
      summary: 'Issue a token for a user',
      description: 'The token is in the answer once; only its SHA-256 hash is stored.',
      request: {
        params: userIdParamSchema,
        body: { content: { 'application/json': { schema: newApiTokenSchema } }, required: false },
      },
      responses: { 201: jsonResponse(issuedTokenSchema, 'The token'), ...commonErrors, ...notFoundError },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json') ?? {};
      if (!(await store.getApiUser(id))) throw notFound(`user ${id}`);
      const issued = await store.createApiToken(id, {
        ...(body.label === undefined ? {} : { label: body.label }),
        expiresAtMs: body.expiresAt ?? null,
      });
      log.info({ userId: id, tokenId: issued.record.id, by: caller.user.id }, 'token issued');
      return c.json(issued, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/users/{id}/tokens',
      tags,
      security,
      summary: "List a user's tokens (never the secrets)",
      request: { params: userIdParamSchema },
      responses: {
        200: jsonResponse(z.object({ items: z.array(apiTokenSchema) }), 'Tokens'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      requireRole(c.get('caller'), 'admin');
      const { id } = c.req.valid('param');
      if (!(await store.getApiUser(id))) throw notFound(`user ${id}`);
      return c.json({ items: await store.listApiTokens(id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/tokens/{id}/revoke',
      tags,
      security,
      summary: 'Revoke a token',
      description:
        'Refused at once by this API process; other replicas stop trusting it within API_TOKEN_CACHE_MS.',
      request: { params: tokenIdParamSchema },
      responses: {
        200: jsonResponse(apiTokenSchema, 'The revoked token'),
        ...commonErrors,
        ...notFoundError,
      },
    }),
    async (c) => {
      const caller = c.get('caller');
      requireRole(caller, 'admin');
      const token = await store.revokeApiToken(c.req.valid('param').id);
      forget((cached) => cached.token.id === token.id);
      log.info({ tokenId: token.id, by: caller.user.id }, 'token revoked');
      return c.json(token, 200);
    },
  );
}
