/**
 * The API token for this browser tab: in sessionStorage, so it is gone when the tab closes and is
 * never put in a URL (where history, logs and referrers would keep it).
 */
const KEY = 'coldchain.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  signIn: (token: string) => sessionStorage.setItem(KEY, token),
  signOut: () => sessionStorage.removeItem(KEY),
};
