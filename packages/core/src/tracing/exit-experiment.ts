import { experimentForUnstamped, experimentNameOf } from "../store/delivery/experiment-ref.js";
import { ReliableRemoteStore } from "../store/delivery/reliable-store.js";
import { type Experiment, readableStoreOf, type TraceExporter } from "../store/trace-store.js";

const isPromise = (v: unknown): v is Promise<unknown> => typeof (v as { then?: unknown } | null)?.then === "function";

/**
 * @internal The experiment id to give, at exit, traces that finished while the active named
 * experiment was still being looked up: "" when it cannot be known synchronously.
 *
 * An exit allows only synchronous work, and the lookup started by `setExperiment` (or
 * `MLFLOW_EXPERIMENT_NAME`) finishes in a later tick even against the embedded store, so a
 * `process.exit()` in the same tick would otherwise save the trace with no experiment. A store that
 * answers synchronously (SQLite, memory) is asked directly, creating the experiment if absent, as
 * the lookup would have. A remote destination is not asked: its spool keeps the trace under the
 * experiment's name and resolves it when delivering.
 */
export function experimentIdAtExit(exporter: TraceExporter): string {
  const ref = experimentForUnstamped();
  if (ref === undefined) return "";
  const name = experimentNameOf(ref);
  if (name === undefined) return ref;
  if (exporter instanceof ReliableRemoteStore) return "";
  // a write-only destination keeps no experiments: the trace is saved as it is
  const store = readableStoreOf(exporter);
  if (store === null) return "";
  const found = store.getExperimentByName(name);
  if (isPromise(found)) {
    found.catch(() => undefined); // an asynchronous store: not waited for at exit
    return "";
  }
  if (found) return found.experimentId;
  const created: Experiment | Promise<Experiment> = store.createExperiment(name);
  if (isPromise(created)) {
    created.catch(() => undefined);
    return "";
  }
  return created.experimentId;
}
