/**
 * The configuration's process-wide state: where traces go, which experiment and which run are
 * current. One slot shared by every copy of core in the process, so a destination set through one
 * copy is the destination of all of them (see internal/process-state.ts).
 */
import { processSingleton } from "../internal/process-state.js";
import type { TraceDestination } from "../store/resolve.js";

/** The active experiment: known by id, by name (id looked up), or both. */
export interface ActiveExperiment {
  id?: string;
  name?: string;
  ready?: Promise<string>;
  /** After a failed lookup: no new lookup before this time (ms since epoch). */
  retryAt?: number;
  /** Failed lookups in a row, for the backoff. */
  failures?: number;
}

/** @internal */
export const configState = processSingleton("config", () => ({
  /** Set by `setTrackingUri`. */
  explicitUri: undefined as string | undefined,
  /** Set by `setTraceStore` / `setTraceDestinations`; wins over any URI. */
  customDestination: undefined as TraceDestination | undefined,
  /** The destination made from a URI (or the OTLP environment), kept while the key stays the same. */
  cached: undefined as { key: string; destination: TraceDestination } | undefined,
  /** Called after the destination changed (the experiment layer forgets ids of the old one). */
  destinationListeners: new Set<() => void>(),
  /**
   * Called before it changes (the export queue hands the old destination what finished while it
   * was in effect). Absent in a slot an older copy of core created.
   */
  beforeDestinationListeners: new Set<() => void>() as Set<() => void> | undefined,
  active: undefined as ActiveExperiment | undefined,
  activeRunId: null as string | null,
}));
