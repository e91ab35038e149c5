/**
 * The app: the login gate, then the shell (top bar, live indicator, theme, toasts) around the page
 * the hash route names.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DashboardConfig } from '@agentmon/schema';
import { DASHBOARD_CONFIG_DEFAULTS, defaultDashboardConfig } from '@agentmon/schema/plain';
import { ApiClient, ApiError } from './api.js';
import { AppContext, type AppState, type Theme, type Toast } from './context.js';
import { LiveStream, type LiveState } from './live.js';
import { useRoute, href } from './router.js';
import { Logo } from './components/Logo.js';
import { Loading } from './components/states.js';
import { Login } from './pages/Login.js';
import { Overview } from './pages/Overview.js';
import { AgentPage } from './pages/Agent.js';
import { AlertsPage } from './pages/Alerts.js';
import { EventsPage } from './pages/Events.js';
import { NotificationsPage } from './pages/Notifications.js';
import { SettingsPage } from './pages/Settings.js';
import { SpendPage } from './pages/Spend.js';

const TOKEN_KEY = 'agentmon.token';
const THEME_KEY = 'agentmon.theme';

/** The seed's DashboardConfig defaults, used until the server's arrive (or if they cannot). */
const DEFAULT_CONFIG: DashboardConfig = defaultDashboardConfig();

function savedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** The whole app. */
export function Root() {
  const [token, setToken] = useState<string | null>(savedToken);
  const [notice, setNotice] = useState<string | null>(null);
  const logout = useCallback((why?: string) => {
    try {
      localStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      /* storage may be off */
    }
    setNotice(why ?? null);
    setToken(null);
  }, []);
  if (!token) {
    return (
      <Login
        notice={notice}
        onLogin={(t, remember) => {
          try {
            (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, t);
          } catch {
            /* storage may be off: the token lives in memory */
          }
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }
  return <Shell key={token} token={token} logout={logout} />;
}

function effectiveTheme(): Theme {
  const set = document.documentElement.dataset.theme;
  if (set === 'light' || set === 'dark') return set;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function Shell({ token, logout }: { token: string; logout: (why?: string) => void }) {
  const client = useMemo(
    () => new ApiClient(token, { onUnauthorized: () => logout('The server did not accept the token. Sign in again.') }),
    [token, logout],
  );
  const [config, setConfig] = useState<DashboardConfig | null>(null);
  const [canEdit, setCanEdit] = useState(true);
  const [configError, setConfigError] = useState<string | null>(null);
  const [theme, setTheme] = useState<Theme>(effectiveTheme);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [liveState, setLiveState] = useState<LiveState>('closed');
  const [activeAlerts, setActiveAlerts] = useState<number | null>(null);
  const [, setNamesVersion] = useState(0);
  const names = useRef(new Map<string, string | null>());
  const nameQueue = useRef<string[]>([]);
  const nameBusy = useRef(0);
  const namePending = useRef(new Set<string>());
  const route = useRoute();

  useEffect(() => {
    client
      .getDashboardConfig()
      .then((c) => setConfig({ ...DEFAULT_CONFIG, ...c }))
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) return;
        setConfigError((err as Error).message);
        setConfig(DEFAULT_CONFIG);
      });
  }, [client]);

  // A viewer token reads only: the pages hide what it cannot do (a server without /whoami: admin).
  useEffect(() => {
    client
      .whoami()
      .then((w) => setCanEdit(w.role !== 'viewer'))
      .catch(() => undefined);
  }, [client]);

  // Follow the system's theme until the user picks one.
  useEffect(() => {
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setTheme(effectiveTheme());
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);

  const realtime = config?.enable_real_time_updates ?? false;
  const live = useMemo(() => (realtime ? new LiveStream(client) : null), [client, realtime]);
  useEffect(() => {
    if (!live) {
      setLiveState('closed');
      return;
    }
    const off = live.onState(setLiveState);
    live.start();
    return () => {
      off();
      live.stop();
    };
  }, [live]);

  const toast = useCallback((text: string, kind: Toast['kind'] = 'ok') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.slice(-3), { id, kind, text }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 7000 : 3500);
  }, []);

  const pumpNames = useCallback(() => {
    while (nameBusy.current < 4 && nameQueue.current.length > 0) {
      const id = nameQueue.current.shift() as string;
      nameBusy.current++;
      client
        .getAgent(id)
        .then((a) => names.current.set(id, a.name))
        .catch(() => names.current.set(id, null))
        .finally(() => {
          namePending.current.delete(id);
          nameBusy.current--;
          setNamesVersion((v) => v + 1);
          pumpNames();
        });
    }
  }, [client]);

  const agentName = useCallback(
    (id: string) => {
      if (names.current.has(id)) return names.current.get(id) ?? undefined;
      if (!namePending.current.has(id)) {
        namePending.current.add(id);
        nameQueue.current.push(id);
        queueMicrotask(pumpNames);
      }
      return undefined;
    },
    [pumpNames],
  );

  // The nav's count: active alerts nobody has acknowledged yet (the ones that still need someone).
  const refreshAlertCount = useCallback(() => {
    client
      .listAlerts({ active: true, acknowledged: false, page_size: 1 })
      .then((p) => setActiveAlerts(p.total))
      .catch(() => undefined);
  }, [client]);
  useEffect(() => {
    refreshAlertCount();
    if (live) {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const off = live.subscribe((b) => {
        if ((b.alerts.length > 0 || b.resync) && !timer) {
          timer = setTimeout(() => {
            timer = null;
            refreshAlertCount();
          }, 500);
        }
      });
      return () => {
        off();
        if (timer) clearTimeout(timer);
      };
    }
    const t = setInterval(refreshAlertCount, (config?.refresh_interval_seconds ?? DASHBOARD_CONFIG_DEFAULTS.refresh_interval_seconds) * 1000);
    return () => clearInterval(t);
  }, [live, refreshAlertCount, config?.refresh_interval_seconds]);

  const toggleTheme = useCallback(() => {
    const next: Theme = effectiveTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      /* not kept */
    }
    setTheme(next);
  }, []);

  if (!config) {
    return (
      <div class="login">
        <Loading label="Connecting to agentmon…" />
      </div>
    );
  }

  const state: AppState = {
    client,
    config,
    setConfig,
    live,
    liveState,
    theme,
    toggleTheme,
    toast,
    logout: () => logout(),
    canEdit,
    agentName,
    alertsChanged: refreshAlertCount,
  };
  const [section] = route.parts;
  return (
    <AppContext.Provider value={state}>
      <header class="topbar">
        <a class="brand" href="#/">
          <Logo />
          <span class="brand-text">agentmon</span>
        </a>
        <nav class="nav" aria-label="Main">
          <a href={href('/')} class={section === undefined || section === 'agents' ? 'active' : ''}>
            Overview
          </a>
          <a href={href('/alerts')} class={section === 'alerts' ? 'active' : ''}>
            Alerts
            {activeAlerts ? (
              <span class="count" data-testid="nav-alert-count" aria-label={`${activeAlerts} unacknowledged`} title={`${activeAlerts} active alerts nobody has acknowledged`}>
                {activeAlerts > 99 ? '99+' : activeAlerts}
              </span>
            ) : null}
          </a>
          <a href={href('/events')} class={section === 'events' ? 'active' : ''}>
            Events
          </a>
          <a href={href('/spend')} class={section === 'spend' ? 'active' : ''} data-testid="nav-spend">
            Spend
          </a>
          <a href={href('/settings')} class={section === 'settings' ? 'active' : ''}>
            Settings
          </a>
        </nav>
        <span class="spacer" />
        {canEdit ? null : (
          <span class="tag" data-testid="read-only" title="Signed in with a viewer token: nothing can be changed">
            read-only
          </span>
        )}
        <LiveIndicator state={liveState} realtime={realtime} every={config.refresh_interval_seconds} />
        <button class="icon-btn" onClick={toggleTheme} aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'} title="Toggle theme" data-testid="theme-toggle">
          {theme === 'dark' ? (
            <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
              <circle cx="12" cy="12" r="4.5" />
              <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" stroke-linecap="round" />
            </svg>
          ) : (
            <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
              <path d="M20 14.5A8.5 8.5 0 0 1 9.5 4a8.5 8.5 0 1 0 10.5 10.5Z" stroke-linejoin="round" />
            </svg>
          )}
        </button>
        <button class="icon-btn" onClick={() => logout()} aria-label="Sign out" title="Sign out">
          <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">
            <path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l5-5-5-5M15 12H3" stroke-linecap="round" stroke-linejoin="round" />
          </svg>
        </button>
      </header>
      <main>
        {configError ? <div class="banner">Could not read the dashboard settings ({configError}); using the defaults.</div> : null}
        <Page parts={route.parts} query={route.query} />
      </main>
      <div class="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div class={`toast ${t.kind}`} key={t.id} role={t.kind === 'error' ? 'alert' : 'status'}>
            {t.text}
          </div>
        ))}
      </div>
    </AppContext.Provider>
  );
}

function LiveIndicator({ state, realtime, every }: { state: LiveState; realtime: boolean; every: number }) {
  if (!realtime) {
    return (
      <span class="live" title="Real-time updates are off; pages refresh on a timer" data-testid="live-indicator" data-state="polling">
        <span class="dot" />
        <span class="hide-sm">Every {every}s</span>
      </span>
    );
  }
  const label = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Connecting…';
  return (
    <span class={`live ${state === 'live' ? 'on' : 'wait'}`} data-testid="live-indicator" data-state={state} title={`Live stream: ${label}`}>
      <span class="dot" />
      <span class="hide-sm">{label}</span>
    </span>
  );
}

function Page({ parts, query }: { parts: string[]; query: URLSearchParams }) {
  const [section, id] = parts;
  useEffect(() => {
    window.scrollTo(0, 0);
  }, [section, id]);
  if (section === undefined) return <Overview query={query} />;
  if (section === 'agents' && id) return <AgentPage key={id} id={id} query={query} />;
  if (section === 'agents') return <Overview query={query} />;
  if (section === 'alerts') return <AlertsPage query={query} />;
  if (section === 'events') return <EventsPage query={query} />;
  if (section === 'spend') return <SpendPage query={query} />;
  if (section === 'settings' && id === 'notifications') return <NotificationsPage />;
  if (section === 'settings') return <SettingsPage />;
  return (
    <div class="state">
      <strong>There is no page here</strong>
      <a href="#/">Go to the overview</a>
    </div>
  );
}
