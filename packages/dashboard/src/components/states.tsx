/** What a panel shows while it loads, when it has nothing, and when loading failed. */
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api.js';

/** A spinner with a label. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="state" role="status" aria-live="polite">
      <div class="spinner" />
      <span>{label}</span>
    </div>
  );
}

/** Nothing to show, and why. */
export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty-state">
      <strong>{title}</strong>
      {children ? <span>{children}</span> : null}
    </div>
  );
}

/** A failed load, with a retry button. */
export function ErrorState({ error, retry }: { error: Error; retry?: () => void }) {
  const status = (error as Partial<ApiError>).status;
  return (
    <div class="state error" role="alert">
      <strong>{status === 404 ? 'Not found' : status === 0 ? 'The server is not answering' : 'Could not load this'}</strong>
      <span>{error.message}</span>
      {status === 404 ? (
        <a href="#/">Back to the overview</a>
      ) : retry ? (
        <button class="btn small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
