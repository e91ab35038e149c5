/**
 * Hash routing (`#/agents/<id>?range=6h`): the server only serves index.html at `/`, and links
 * keep working when agentmon sits behind a path prefix. Filters live in the hash's query, so a
 * filtered view can be bookmarked and shared.
 */
import { useEffect, useState } from 'preact/hooks';

/** The current location inside the app. */
export interface Route {
  /** Path segments: `#/agents/a1` -> ['agents', 'a1']; the overview is []. */
  parts: string[];
  query: URLSearchParams;
}

const CHANGE = 'agentmon:route';

/** Reads the route from location.hash. */
export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = hash.split('?', 2);
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

/** A link target: href('/agents/a1', {range: '6h'}) -> '#/agents/a1?range=6h'. */
export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Goes to `path`. */
export function navigate(path: string, query: Record<string, string | number | undefined | null> = {}): void {
  location.hash = href(path, query).slice(1);
}

/**
 * Changes some query parameters of the current route without a new history entry (typing in a
 * filter must not fill the back button's history).
 */
export function setQuery(patch: Record<string, string | number | undefined | null>): void {
  const route = currentRoute();
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === '') route.query.delete(k);
    else route.query.set(k, String(v));
  }
  const s = route.query.toString();
  const path = `/${route.parts.map(encodeURIComponent).join('/')}`;
  history.replaceState(history.state, '', `#${path}${s ? `?${s}` : ''}`);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current route, re-rendering on every change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('hashchange', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}
