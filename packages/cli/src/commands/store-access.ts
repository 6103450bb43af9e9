// What the commands that read a store share: opening it without creating a database, resolving
// an experiment given by name or id, and reading a positive count.
import { existsSync } from "node:fs";
import { getTraceStore, getTrackingUri, setTrackingUri, type TraceStore } from "@tracewright/core";
import { sqlitePathFromUri } from "@tracewright/core/stores";
import { CliError, type Values } from "./command.js";

/** Opens the configured store; a missing embedded database is an error, not created. */
export function openStore(values: Values): TraceStore {
  const trackingUri = values["tracking-uri"] as string | undefined;
  if (trackingUri) setTrackingUri(trackingUri);
  const uri = getTrackingUri();
  if (uri.toLowerCase().startsWith("sqlite:")) {
    const path = sqlitePathFromUri(uri);
    if (path !== ":memory:" && !existsSync(path)) {
      throw new CliError(
        `No trace database at ${path}. Run an application with tracing first, or pass --tracking-uri.`,
      );
    }
  }
  return getTraceStore();
}

/** The id of the experiment named (or numbered) `nameOrId`; an unknown one is a CliError. */
export async function resolveExperiment(store: TraceStore, nameOrId: string): Promise<string> {
  const byName = await store.getExperimentByName(nameOrId);
  if (byName) return byName.experimentId;
  const all = (await store.listExperiments?.()) ?? [];
  if (all.some((e) => e.experimentId === nameOrId)) return nameOrId;
  throw new CliError(`Unknown experiment "${nameOrId}". Run "tracewright experiments list" to see them.`);
}

/** The experiments a command looks at: the one given, or every experiment of the store. */
export async function experimentScope(store: TraceStore, experiment: string | undefined): Promise<string[]> {
  if (experiment !== undefined) return [await resolveExperiment(store, experiment)];
  const all = (await store.listExperiments?.()) ?? [];
  return all.length > 0 ? all.map((e) => e.experimentId) : ["0"];
}

/** `value` as a positive integer (usage error otherwise), or `fallback` when absent. */
export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} expects a positive integer, got "${value}".`, 2);
  return n;
}
