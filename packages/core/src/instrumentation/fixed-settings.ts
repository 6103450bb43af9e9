import type { LiveSpan } from "../entities/live-span.js";
import { type InstrumentHooks, instrumentCall, type SpanOptions } from "../tracing/instrument.js";
import { isTracingEnabled } from "../tracing/state.js";
import type { ActiveSettings } from "./define-integration.js";
import { type AutologOptions, commonSettings } from "./options.js";

/** An integration's `active()` and `instrumentCall`, with settings of their own. */
export interface FixedSettingsTracing<S> {
  /** The settings given, or null with `logTraces: false`. */
  active(): ActiveSettings<S> | null;
  /** {@link instrumentCall} with these settings' redactor; runs `call` untraced with `logTraces: false`. */
  instrumentCall<T>(options: SpanOptions, call: (span: LiveSpan | null) => T, hooks?: InstrumentHooks<T>): T;
}

/**
 * The common options (and an integration's own settings) resolved once, independent of the
 * integration's `autolog()`: for calls the user opts in one object at a time with options of
 * their own (openai's `traced(client, options)`), with the same meaning of `redact`,
 * `recordContent` and `logTraces` as autolog's. Stands in wherever the integration's
 * `active()` / `instrumentCall` would be used.
 */
export function withFixedSettings<S>(options: AutologOptions, extra: S): FixedSettingsTracing<S> {
  const settings: ActiveSettings<S> = { ...commonSettings(options), extra };
  const redactor = settings.redactor;
  return {
    active: () => (settings.logTraces ? settings : null),
    instrumentCall(o, call, hooks) {
      if (!settings.logTraces || !isTracingEnabled()) return call(null);
      return instrumentCall(redactor ? { ...o, redactor } : o, call, hooks);
    },
  };
}
