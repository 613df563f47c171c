import { useState } from 'preact/hooks';
import { ApiFailure, getJson } from '../api-client.js';
import { t } from '../i18n.js';
import { session } from '../session.js';
import type { WhoAmI } from '../types.js';

export function SignIn({ onSignedIn }: { onSignedIn: (user: WhoAmI['user']) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    session.signIn(token.trim());
    try {
      onSignedIn((await getJson<WhoAmI>('/v1/me')).user);
    } catch (err) {
      session.signOut();
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card sign-in" onSubmit={submit}>
      <h1>{t('signIn')}</h1>
      <label>
        {t('tokenLabel')}
        <input
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
      </label>
      <p class="hint">{t('tokenHint')}</p>
      {error && (
        <p class="error-panel" role="alert">
          {t('signInFailed')}: {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        {t('signIn')}
      </button>
    </form>
  );
}
