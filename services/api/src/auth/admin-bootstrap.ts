import type { MetadataStore } from '@coldchain/store';

export const ADMIN_USER_ID = 'admin';

/**
 * Makes sure an admin can log in. With `COLDCHAIN_ADMIN_TOKEN` set, that token is valid for the
 * `admin` user (created if missing). Without it, the first start creates the `admin` user and a
 * generated token, returned here to be printed once; later starts leave the admins alone.
 */
export async function ensureAdminToken(
  store: MetadataStore,
  configured: string | undefined,
  nowMs = Date.now(),
): Promise<{ generated?: string }> {
  let admin = await store.getApiUser(ADMIN_USER_ID);
  if (configured !== undefined) {
    admin ??= await store.createApiUser({
      id: ADMIN_USER_ID,
      name: 'Administrator',
      role: 'admin',
      shipper: null,
    });
    if (!(await store.verifyApiToken(configured, nowMs)))
      await store.createApiToken(admin.id, { label: 'COLDCHAIN_ADMIN_TOKEN', token: configured });
    return {};
  }
  if (admin) return {};
  if ((await store.listApiUsers()).some((u) => u.role === 'admin' && !u.disabled)) return {};
  admin = await store.createApiUser({
    id: ADMIN_USER_ID,
    name: 'Administrator',
    role: 'admin',
    shipper: null,
  });
  const { token } = await store.createApiToken(admin.id, { label: 'first admin (generated)' });
  return { generated: token };
}
