/** Sign in with an admin token (checked against the server before it is kept). */
import { useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api.js';
import { Logo } from '../components/Logo.js';

/** The sign-in page. */
export function Login({ onLogin, notice }: { onLogin: (token: string, remember: boolean) => void; notice: string | null }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Enter the admin token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new ApiClient(t).getDashboardConfig();
      onLogin(t, remember);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : -1;
      setError(
        status === 401
          ? 'This token is not valid for this server.'
          : status === 403
            ? 'This token may not read the dashboard: use the admin token or a viewer token, not an agent key.'
            : status === 0
              ? 'Cannot reach the agentmon server.'
              : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="login">
      <div class="card">
        <Logo size={36} />
        <h1>Sign in to agentmon</h1>
        <p>Paste the admin token. The server printed it on its first start and keeps it in <code>data/admin-token</code>.</p>
        {notice ? <div class="banner info">{notice}</div> : null}
        <form onSubmit={submit} noValidate>
          <div class="field">
            <label for="token">Admin token</label>
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="current-password"
              autoFocus
              value={token}
              class={error ? 'invalid' : ''}
              aria-invalid={error ? 'true' : 'false'}
              aria-describedby={error ? 'token-error' : undefined}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
            {error ? (
              <span class="err" id="token-error" role="alert">
                {error}
              </span>
            ) : null}
          </div>
          <label class="field check" style={{ paddingTop: 0 }}>
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
            <span>Keep me signed in on this device</span>
          </label>
          <button class="btn primary" type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </div>
    </div>
  );
}
