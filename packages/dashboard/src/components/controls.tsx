/** Form controls the pages share: the pager, the search box, the segmented switch. */
import { formatNumber } from '../format.js';

/** Page controls: "1–50 of 1,000", previous/next and the page size. */
export function Pager(props: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  onPageSize?: (size: number) => void;
  sizes?: number[];
}) {
  const { page, pageSize, total } = props;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <div class="pager">
      <span class="num">
        {formatNumber(from)}–{formatNumber(to)} of {total.toLocaleString()}
      </span>
      <div class="controls">
        {props.onPageSize ? (
          <select aria-label="Rows per page" value={String(pageSize)} onChange={(e) => props.onPageSize?.(Number(e.currentTarget.value))}>
            {(props.sizes ?? [25, 50, 100, 200]).map((s) => (
              <option value={String(s)}>{s} / page</option>
            ))}
          </select>
        ) : null}
        <button class="btn small" disabled={page <= 1} onClick={() => props.onPage(page - 1)} aria-label="Previous page">
          ‹ Prev
        </button>
        <span class="num">
          {page} / {pages}
        </span>
        <button class="btn small" disabled={page >= pages} onClick={() => props.onPage(page + 1)} aria-label="Next page">
          Next ›
        </button>
      </div>
    </div>
  );
}

/** A search box with a magnifier. */
export function SearchInput(props: { value: string; onInput: (v: string) => void; placeholder: string; label: string }) {
  return (
    <label class="search grow">
      <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" aria-hidden="true">
        <circle cx="11" cy="11" r="7" />
        <path d="m20 20-3.5-3.5" stroke-linecap="round" />
      </svg>
      <input
        type="search"
        aria-label={props.label}
        placeholder={props.placeholder}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

/** A segmented control. */
export function Segmented<T extends string>(props: { value: T; options: readonly { value: T; label: string }[]; onChange: (v: T) => void; label: string }) {
  return (
    <div class="seg" role="group" aria-label={props.label}>
      {props.options.map((o) => (
        <button type="button" aria-pressed={o.value === props.value} onClick={() => props.onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}
