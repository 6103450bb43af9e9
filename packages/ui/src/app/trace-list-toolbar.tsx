import { useState } from "preact/hooks";
import type { ExperimentChoice } from "./use-experiments.js";

/** Above the list: experiment selector, filter box, live switch and the compare button. */
export function TraceListToolbar(props: {
  experiments: ExperimentChoice[];
  experiment: string;
  onExperiment: (experimentId: string) => void;
  /** Called with the trimmed filter when the search is submitted (not on every keystroke). */
  onFilter: (filter: string) => void;
  live: boolean;
  onLive: (live: boolean) => void;
  picked: string[];
  onCompare: (a: string, b: string) => void;
}) {
  const [draft, setDraft] = useState("");
  return (
    <div class="toolbar">
      <select
        aria-label="Experiment"
        value={props.experiment}
        onChange={(e) => props.onExperiment((e.currentTarget as HTMLSelectElement).value)}
      >
        <option value="">All experiments</option>
        {props.experiments.map((x) => (
          <option key={x.experimentId} value={x.experimentId}>
            {x.name} ({x.traceCount})
          </option>
        ))}
      </select>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          props.onFilter(draft.trim());
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
          checked={props.live}
          onChange={(e) => props.onLive((e.currentTarget as HTMLInputElement).checked)}
        />{" "}
        Live
      </label>
      <button
        type="button"
        class="primary"
        disabled={props.picked.length !== 2}
        onClick={() => props.onCompare(props.picked[0] as string, props.picked[1] as string)}
      >
        Compare {props.picked.length}/2
      </button>
    </div>
  );
}
