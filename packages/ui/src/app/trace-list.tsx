import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { TraceSummary } from "../server/views.js";
import { listExperiments, listTraces } from "./api.js";
import { formatDuration, formatTime } from "./format.js";
import { VirtualList } from "./virtual-list.js";

const PAGE_SIZE = 100;
const LIVE_INTERVAL_MS = 2000;
const ROW_HEIGHT = 34;

/** Columns the list sorts by, with the order-by field of the filter grammar. */
const SORTS = {
  name: "tags.`mlflow.traceName`",
  state: "status",
  start: "timestamp_ms",
  duration: "execution_time_ms",
} as const;
type SortKey = keyof typeof SORTS;

function Header(props: {
  label: string;
  sortKey?: SortKey;
  sort: { key: SortKey; desc: boolean };
  onSort: (k: SortKey) => void;
  cls: string;
}) {
  if (!props.sortKey) return <div class={`cell ${props.cls}`}>{props.label}</div>;
  const active = props.sort.key === props.sortKey;
  return (
    <button
      type="button"
      class={`cell ${props.cls} sortable${active ? " active" : ""}`}
      onClick={() => props.onSort(props.sortKey as SortKey)}
    >
      {props.label} {active ? (props.sort.desc ? "↓" : "↑") : ""}
    </button>
  );
}

/** The traces of the store: search with the filter grammar, sort, page, compare, refresh live. */
export function TraceList({
  onOpen,
  onCompare,
}: {
  onOpen: (id: string) => void;
  onCompare: (a: string, b: string) => void;
}) {
  const [experiments, setExperiments] = useState<Array<{ experimentId: string; name: string; traceCount: number }>>([]);
  const [experiment, setExperiment] = useState("");
  const [draft, setDraft] = useState("");
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: "start", desc: true });
  const [traces, setTraces] = useState<TraceSummary[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState(true);
  const [picked, setPicked] = useState<string[]>([]);
  const loaded = useRef(0);
  loaded.current = traces.length;

  const query = useCallback(
    (pageSize: number, pageToken?: string) =>
      listTraces({
        experiment,
        filter,
        order: `${SORTS[sort.key]} ${sort.desc ? "DESC" : "ASC"}`,
        pageSize,
        ...(pageToken ? { pageToken } : {}),
      }),
    [experiment, filter, sort],
  );

  const reload = useCallback(
    async (pageSize = PAGE_SIZE) => {
      setLoading(true);
      try {
        const page = await query(pageSize);
        setTraces(page.traces);
        setNext(page.nextPageToken);
        setError(null);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
        setTraces([]);
        setNext(null);
      } finally {
        setLoading(false);
      }
    },
    [query],
  );

  useEffect(() => {
    listExperiments()
      .then((r) => setExperiments(r.experiments))
      .catch(() => setExperiments([]));
  }, []);
  useEffect(() => {
    reload();
  }, [reload]);
  useEffect(() => {
    if (!live || error) return;
    const timer = setInterval(() => {
      if (document.visibilityState !== "visible") return;
      // refresh what is loaded (new traces appear on top while an app runs)
      query(Math.min(500, Math.max(PAGE_SIZE, loaded.current)))
        .then((page) => {
          setTraces(page.traces);
          setNext(page.nextPageToken);
        })
        .catch(() => {});
      listExperiments()
        .then((r) => setExperiments(r.experiments))
        .catch(() => {});
    }, LIVE_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [live, error, query]);

  const loadMore = async () => {
    if (!next || loading) return;
    setLoading(true);
    try {
      const page = await query(PAGE_SIZE, next);
      setTraces((t) => [...t, ...page.traces]);
      setNext(page.nextPageToken);
    } finally {
      setLoading(false);
    }
  };
  const onSort = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: key !== "name" }));
  const togglePick = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));

  return (
    <div class="trace-list" data-testid="trace-list">
      <div class="toolbar">
        <select
          aria-label="Experiment"
          value={experiment}
          onChange={(e) => setExperiment((e.currentTarget as HTMLSelectElement).value)}
        >
          <option value="">All experiments</option>
          {experiments.map((x) => (
            <option key={x.experimentId} value={x.experimentId}>
              {x.name} ({x.traceCount})
            </option>
          ))}
        </select>
        <form
          class="search"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(draft.trim());
          }}
        >
          <input
            type="search"
            aria-label="Filter"
            placeholder={"Filter, e.g. attributes.status = 'ERROR' AND tags.env = 'prod'"}
            value={draft}
            onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit">Search</button>
        </form>
        <label class="live">
          <input
            type="checkbox"
            checked={live}
            onChange={(e) => setLive((e.currentTarget as HTMLInputElement).checked)}
          />{" "}
          Live
        </label>
        <button
          type="button"
          class="primary"
          disabled={picked.length !== 2}
          onClick={() => onCompare(picked[0] as string, picked[1] as string)}
        >
          Compare {picked.length}/2
        </button>
      </div>
      {error && (
        <div class="filter-error" role="alert" data-testid="filter-error">
          {error}
        </div>
      )}
      <div class="list-head row">
        <div class="cell pick" />
        <Header label="Name" sortKey="name" sort={sort} onSort={onSort} cls="name" />
        <Header label="State" sortKey="state" sort={sort} onSort={onSort} cls="state" />
        <Header label="Start" sortKey="start" sort={sort} onSort={onSort} cls="start" />
        <Header label="Duration" sortKey="duration" sort={sort} onSort={onSort} cls="duration" />
        <Header label="Tokens" sort={sort} onSort={onSort} cls="tokens" />
        <Header label="Tags" sort={sort} onSort={onSort} cls="tags" />
        <Header label="Request" sort={sort} onSort={onSort} cls="request" />
      </div>
      <VirtualList
        items={traces}
        rowHeight={ROW_HEIGHT}
        testId="trace-rows"
        onNearEnd={loadMore}
        renderRow={(t) => (
          // biome-ignore lint/a11y/useSemanticElements: the row holds a checkbox, which a <button> cannot contain
          <div
            class="row trace-row"
            role="button"
            tabIndex={0}
            aria-label={`Open trace ${t.name || t.traceId}`}
            onKeyDown={(e) => {
              if (e.key === "Enter") onOpen(t.traceId);
            }}
            data-testid="trace-row"
            data-trace-id={t.traceId}
            onClick={() => onOpen(t.traceId)}
          >
            <div class="cell pick">
              <input
                type="checkbox"
                aria-label={`Pick ${t.name} for comparison`}
                checked={picked.includes(t.traceId)}
                onClick={(e) => e.stopPropagation()}
                onChange={() => togglePick(t.traceId)}
              />
            </div>
            <div class="cell name" title={t.traceId}>
              {t.name || t.traceId}
              {t.assessmentCount > 0 && <span class="count-badge">{t.assessmentCount}</span>}
            </div>
            <div class={`cell state status-${t.state}`}>{t.state}</div>
            <div class="cell start">{formatTime(t.requestTime)}</div>
            <div class="cell duration">{formatDuration(t.executionDuration)}</div>
            <div class="cell tokens">{t.tokens ? t.tokens.total : "—"}</div>
            <div class="cell tags">
              {Object.entries(t.tags).map(([k, v]) => (
                <span key={k} class="tag">
                  {k}={v}
                </span>
              ))}
            </div>
            <div class="cell request" title={t.requestPreview ?? ""}>
              {t.requestPreview ?? ""}
            </div>
          </div>
        )}
      />
      <div class="list-foot muted" data-testid="list-foot">
        {traces.length} trace{traces.length === 1 ? "" : "s"} shown{next ? " · scroll for more" : ""}
        {loading ? " · loading…" : ""}
      </div>
    </div>
  );
}
