import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { CompareView } from "./compare.js";
import { TraceList } from "./trace-list.js";
import { TraceView } from "./trace-view.js";
import "./styles.css";

/** Routes live in the hash: #/ (list), #/trace/<id>[/<spanId>], #/compare/<a>/<b>. */
type Route =
  | { view: "list" }
  | { view: "trace"; traceId: string; spanId: string | null }
  | { view: "compare"; a: string; b: string };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "trace" && parts[1]) return { view: "trace", traceId: parts[1], spanId: parts[2] ?? null };
  if (parts[0] === "compare" && parts[1] && parts[2]) return { view: "compare", a: parts[1], b: parts[2] };
  return { view: "list" };
}

const go = (path: string) => {
  window.location.hash = path;
};

function App() {
  const [route, setRoute] = useState(parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  return (
    <div class="app">
      <header class="topbar">
        <a href="#/" class="brand">
          Tracewright
        </a>
        <span class="muted">local trace viewer</span>
      </header>
      <main>
        {route.view === "list" && (
          <TraceList
            onOpen={(id) => go(`/trace/${encodeURIComponent(id)}`)}
            onCompare={(a, b) => go(`/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`)}
          />
        )}
        {route.view === "trace" && (
          <TraceView
            key={route.traceId}
            traceId={route.traceId}
            spanId={route.spanId}
            onSelectSpan={(spanId) => go(`/trace/${encodeURIComponent(route.traceId)}/${encodeURIComponent(spanId)}`)}
          />
        )}
        {route.view === "compare" && <CompareView a={route.a} b={route.b} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById("root") as HTMLElement);
