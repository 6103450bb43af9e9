import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { CompareView } from "./compare.js";
import { parseRoute } from "./route.js";
import { TraceList } from "./trace-list.js";
import { TraceView } from "./trace-view.js";
import "./styles.css";

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
        {route.view === "list" && route.problem && (
          <div class="error-banner" role="alert" data-testid="route-problem">
            {route.problem}
          </div>
        )}
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
