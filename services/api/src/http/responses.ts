import { errorBodySchema } from '@coldchain/schema';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorBodySchema } },
});

/** The error answers every authenticated route may give, for the OpenAPI document. */
export const commonErrors = {
  400: error('A bad parameter or body: `validation_failed` with the path of each bad field'),
  401: error('No, unknown, revoked or expired bearer token'),
  403: error('The role of the token does not allow this'),
  429: error('Too many failed authentications from this address'),
} as const;

export const notFoundError = { 404: error('Unknown id (or not visible to this caller)') } as const;
export const conflictError = { 409: error('The current state does not allow this change') } as const;

/** A JSON response for the OpenAPI document. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body, for `createRoute`. */
export function jsonBody<T>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true } as const;
}
