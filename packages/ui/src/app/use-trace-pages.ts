import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { TraceSummary } from "../server/views.js";

/** A page of the list as the API returns it. */
export interface TracePage {
  traces: TraceSummary[];
  nextPageToken: string | null;
}

/** Fetches `pageSize` traces from `pageToken` on (the first page without one). */
export type PageQuery = (pageSize: number, pageToken?: string) => Promise<TracePage>;

/** What the list shows: the traces loaded so far and the state of the next request. */
export interface TracePages {
  traces: TraceSummary[];
  hasMore: boolean;
  error: string | null;
  loading: boolean;
  /** Appends the next page, if any (the virtual list calls it near its end). */
  loadMore: () => Promise<void>;
}

/**
 * Pages through `query`: the first page whenever the query changes, more on `loadMore()`, and,
 * while `live`, a refresh of everything loaded every `intervalMs` (new traces appear on top while
 * an app runs). A failed first page shows its error (a bad filter) and stops the live refresh.
 */
export function useTracePages(
  query: PageQuery,
  options: { pageSize: number; live: boolean; intervalMs: number; onRefresh?: () => void },
): TracePages {
  const { pageSize, live, intervalMs, onRefresh } = options;
  const [page, setPage] = useState<TracePage>({ traces: [], nextPageToken: null });
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  // the live refresh reloads as many rows as are loaded, read without re-arming its timer
  const loaded = useRef(0);
  loaded.current = page.traces.length;

  useEffect(() => {
    let current = true;
    setLoading(true);
    query(pageSize)
      .then(
        (first) => {
          if (!current) return;
          setPage(first);
          setError(null);
        },
        (e: unknown) => {
          if (!current) return;
          setError(e instanceof Error ? e.message : String(e));
          setPage({ traces: [], nextPageToken: null });
        },
      )
      .finally(() => {
        if (current) setLoading(false);
      });
    return () => {
      current = false;
    };
  }, [query, pageSize]);

  useEffect(() => {
    if (!live || error) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== "visible") return;
      query(Math.min(500, Math.max(pageSize, loaded.current)))
        .then(setPage)
        .catch(() => {});
      onRefresh?.();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [live, error, query, pageSize, intervalMs, onRefresh]);

  const loadMore = useCallback(async () => {
    const token = page.nextPageToken;
    if (!token || loading) return;
    setLoading(true);
    try {
      const more = await query(pageSize, token);
      setPage((p) => ({ traces: [...p.traces, ...more.traces], nextPageToken: more.nextPageToken }));
    } finally {
      setLoading(false);
    }
  }, [page.nextPageToken, loading, query, pageSize]);

  return { traces: page.traces, hasMore: page.nextPageToken !== null, error, loading, loadMore };
}
