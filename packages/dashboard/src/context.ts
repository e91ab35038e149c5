/** What every page reads: the API client, the dashboard settings, the live stream, the theme. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { DashboardConfig } from '@agentmon/schema';
import type { ApiClient } from './api.js';
import type { LiveState, LiveStream } from './live.js';

/** Light or dark, as the page shows it now. */
export type Theme = 'light' | 'dark';

/** A short message in the corner. */
export interface Toast {
  id: number;
  kind: 'ok' | 'error' | 'info';
  text: string;
}

/** The app-wide state. */
export interface AppState {
  client: ApiClient;
  config: DashboardConfig;
  setConfig: (config: DashboardConfig) => void;
  /** The stream, when real-time updates are on. */
  live: LiveStream | null;
  liveState: LiveState;
  theme: Theme;
  toggleTheme: () => void;
  toast: (text: string, kind?: Toast['kind']) => void;
  logout: () => void;
  /** False for a viewer token: the pages hide what would change something. */
  canEdit: boolean;
  /** An agent's name by id (fetched once and kept); undefined while unknown. */
  agentName: (id: string) => string | undefined;
  /** Tells the shell an alert changed here (acknowledged, resolved), so the nav's count follows at once. */
  alertsChanged: () => void;
}

/** The app-wide state's context. */
export const AppContext = createContext<AppState | null>(null);

/** Reads the app-wide state. */
export function useApp(): AppState {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside <AppContext.Provider>');
  return ctx;
}
