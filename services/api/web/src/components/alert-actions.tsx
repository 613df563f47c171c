import { useState } from 'preact/hooks';
import { ApiFailure, getJson, postJson } from '../api-client.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';
import type { Alert, AlertComment } from '../types.js';

type Action = 'acknowledge' | 'resolve' | 'comment';

/** Acknowledge with a note, resolve, comment: each a small form under the alert. */
export function AlertActions({
  alert,
  canAct,
  onChanged,
}: {
  alert: Alert;
  canAct: boolean;
  onChanged: (alert: Alert) => void;
}) {
  const [action, setAction] = useState<Action | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [comments, setComments] = useState<AlertComment[] | null>(null);
  const [busy, setBusy] = useState(false);

  const begin = (next: Action) => {
    setAction(action === next ? null : next);
    setText('');
    setError(null);
    if (next === 'comment')
      getJson<{ items: AlertComment[] }>(`/v1/alerts/${alert.id}/comments`).then(
        (r) => setComments(r.items),
        (err: Error) => setError(err.message),
      );
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!action) return;
    setBusy(true);
    setError(null);
    try {
      if (action === 'comment') {
        const comment = await postJson<AlertComment>(`/v1/alerts/${alert.id}/comments`, { text });
        setComments((c) => [...(c ?? []), comment]);
        setText('');
      } else {
        onChanged(await postJson<Alert>(`/v1/alerts/${alert.id}/${action}`, { note: text }));
        setAction(null);
      }
    } catch (err) {
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="actions">
      {canAct && alert.status === 'open' && (
        <button type="button" onClick={() => begin('acknowledge')}>
          {t('acknowledge')}
        </button>
      )}
      {canAct && (
        <button type="button" onClick={() => begin('resolve')}>
          {t('resolve')}
        </button>
      )}
      <button type="button" onClick={() => begin('comment')}>
        {t('comment')}
      </button>
      {action && (
        <form class="action-form" onSubmit={submit}>
          {action === 'comment' && (
            <ul class="comments">
              {comments?.length === 0 && <li class="sub">{t('noComments')}</li>}
              {comments?.map((c) => (
                <li key={c.id}>
                  <span class="sub">
                    {c.author} · {formatTime(c.createdAtMs)}
                  </span>
                  <br />
                  {c.text}
                </li>
              ))}
            </ul>
          )}
          <label>
            {action === 'comment' ? t('comment') : t('note')}
            <textarea
              name="note"
              required
              maxLength={2000}
              rows={2}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
          </label>
          {error && (
            <p class="error-panel" role="alert">
              {error}
            </p>
          )}
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>
              {action === 'comment' ? t('send') : t(action)}
            </button>
            <button type="button" onClick={() => setAction(null)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
