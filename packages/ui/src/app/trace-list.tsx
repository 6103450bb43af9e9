import { useCallback, useState } from "preact/hooks";
import { listTraces } from "./api.js";
import { TraceListToolbar } from "./trace-list-toolbar.js";
import { TraceRow } from "./trace-row.js";
import { useExperiments } from "./use-experiments.js";
import { useTracePages } from "./use-trace-pages.js";
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
interface Sort {
  key: SortKey;
  desc: boolean;
}

function Header(props: { label: string; sortKey?: SortKey; sort: Sort; onSort: (k: SortKey) => void; cls: string }) {
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
  // what is asked for; the pages, their errors and the live refresh live in useTracePages
  const [experiment, setExperiment] = useState("");
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<Sort>({ key: "start", desc: true });
  const [live, setLive] = useState(true);
  const [picked, setPicked] = useState<string[]>([]);
  const { experiments, refresh: refreshExperiments } = useExperiments();

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
  const pages = useTracePages(query, {
    pageSize: PAGE_SIZE,
    live,
    intervalMs: LIVE_INTERVAL_MS,
    onRefresh: refreshExperiments,
  });

  const onSort = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, desc: !s.desc } : { key, desc: key !== "name" }));
  // at most two picks: a third replaces the older one
  const togglePick = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const { traces } = pages;

  return (
    <div class="trace-list" data-testid="trace-list">
      <TraceListToolbar
        experiments={experiments}
        experiment={experiment}
        onExperiment={setExperiment}
        onFilter={setFilter}
        live={live}
        onLive={setLive}
        picked={picked}
        onCompare={onCompare}
      />
      {pages.error && (
        <div class="filter-error" role="alert" data-testid="filter-error">
          {pages.error}
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
        onNearEnd={pages.loadMore}
        renderRow={(t) => (
          <TraceRow trace={t} picked={picked.includes(t.traceId)} onOpen={onOpen} onTogglePick={togglePick} />
        )}
      />
      <div class="list-foot muted" data-testid="list-foot">
        {traces.length} trace{traces.length === 1 ? "" : "s"} shown{pages.hasMore ? " · scroll for more" : ""}
        {pages.loading ? " · loading…" : ""}
      </div>
    </div>
  );
}
