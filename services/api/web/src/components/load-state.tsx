import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiFailure } from '../api-client.js';
import { t } from '../i18n.js';

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'error'; error: ApiFailure | Error }
  | { state: 'ready'; data: T };

/** Runs `load` when `deps` change; `reload` runs it again (keeping the old data on screen meanwhile). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> & { reload: () => void } {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setResult({ state: 'ready', data }),
      (error: Error) => current && setResult({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...result, reload };
}

export function Loading() {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {t('loading')}
    </p>
  );
}

/** What went wrong, in words, with a retry: never a blank page when the API is down. */
export function ErrorPanel({ error, retry }: { error: Error; retry?: () => void }) {
  const failure = error instanceof ApiFailure ? error : null;
  const title =
    failure?.code === 'network' || (failure && failure.status >= 500)
      ? t('apiDown')
      : failure?.status === 404
        ? t('notFound')
        : t('errorTitle');
  return (
    <div class="error-panel" role="alert">
      <strong>{title}</strong>
      <p>{failure ? `${failure.status || ''} ${failure.code}: ${failure.message}` : error.message}</p>
      {retry && (
        <button type="button" onClick={retry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** Loading, error or the content, for one loaded value. */
export function Show<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T> & { reload: () => void };
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.state === 'loading') return <Loading />;
  if (loaded.state === 'error') return <ErrorPanel error={loaded.error} retry={loaded.reload} />;
  return <>{children(loaded.data)}</>;
}
