import type { MetadataStore, ShareLink } from '@coldchain/store';
import { ApiError } from '../http/api-error.js';
import { readShareToken } from './share-token.js';

export type ShareLinkState = 'active' | 'expired' | 'revoked';

export const shareLinkState = (link: ShareLink, nowMs: number): ShareLinkState =>
  link.revokedAtMs !== null ? 'revoked' : link.expiresAtMs <= nowMs ? 'expired' : 'active';

/** The one shipment a share token opens, and the link it belongs to. */
export interface ShareScope {
  shipmentId: string;
  linkId: string;
}

/**
 * Checks a share token: its MAC is the server's, its link exists with the same shipment and
 * expiry, is not revoked and not expired at `now`. Any failure is 401 `unauthorized` with no hint
 * of which (a guesser learns nothing). The scope is the token's shipment only: nothing a link
 * holder asks can name another.
 */
export function createShareScope(deps: { store: MetadataStore; secret: Buffer; now: () => number }) {
  return async function shareScope(token: string): Promise<ShareScope> {
    const refused = new ApiError(
      'unauthorized',
      'this share link is not valid (tampered, expired or revoked)',
    );
    const claim = readShareToken(deps.secret, token);
    if (!claim) throw refused;
    const link = await deps.store.getShareLink(claim.linkId);
    if (
      !link ||
      link.shipmentId !== claim.shipmentId ||
      link.expiresAtMs !== claim.expiresAtMs ||
      shareLinkState(link, deps.now()) !== 'active'
    )
      throw refused;
    return { shipmentId: link.shipmentId, linkId: link.id };
  };
}
