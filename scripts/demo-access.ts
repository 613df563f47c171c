// How a newcomer gets into the demo: an operator user with a bearer token (made in the store on the
// first start and reused while it still verifies), and a consignee's share link for one shipment
// (made through the api, as a shipper or operator would, and reused while the api still opens it).
import type { MetadataStore } from '@coldchain/store';

export const DEMO_OPERATOR_ID = 'operator';
/** The shipment a consignee is shown: the reefer whose compressor failed. */
export const DEMO_SHARED_SHIPMENT = 'SHP-DL-SEAFOOD-001';
/** Three months, the longest a share link may live: the demo's link outlasts a long evaluation. */
const SHARE_LINK_HOURS = 24 * 90;

/** The operator's token: the saved one while it still verifies, else a new one (the user made once). */
export async function ensureOperatorToken(store: MetadataStore, saved: string | undefined): Promise<string> {
  if (saved && (await store.verifyApiToken(saved, Date.now()))?.user.id === DEMO_OPERATOR_ID) return saved;
  if (!(await store.getApiUser(DEMO_OPERATOR_ID))) {
    await store.createApiUser({
      id: DEMO_OPERATOR_ID,
      name: 'Demo operator',
      role: 'operator',
      shipper: null,
    });
  }
  const { token } = await store.createApiToken(DEMO_OPERATOR_ID, { label: 'demo operator' });
  return token;
}

export interface ShareLink {
  shipmentId: string;
  token: string;
  expiresAtMs: number;
}

/** The saved link while the api still opens it (not revoked, not expired), else a new one. */
export async function ensureShareLink(
  apiUrl: string,
  operatorToken: string,
  saved: ShareLink | undefined,
): Promise<ShareLink> {
  if (saved && saved.expiresAtMs > Date.now()) {
    const res = await fetch(`${apiUrl}/v1/shared/${saved.token}`);
    await res.body?.cancel();
    if (res.ok) return saved;
  }
  const res = await fetch(`${apiUrl}/v1/shipments/${DEMO_SHARED_SHIPMENT}/share-links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'consignee (demo)', expiresInHours: SHARE_LINK_HOURS }),
  });
  if (!res.ok) throw new Error(`could not create the demo share link: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string; link: { expiresAtMs: number } };
  return { shipmentId: DEMO_SHARED_SHIPMENT, token: body.token, expiresAtMs: body.link.expiresAtMs };
}
