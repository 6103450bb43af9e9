import type { Context, Span as OtelSpan } from "@opentelemetry/api";

/**
 * The key `@opentelemetry/api` keeps the active span under (`trace.setSpan` / `trace.getSpan`).
 * The API makes its keys with `Symbol.for(description)`, so that every copy of the API in a
 * process shares them; this is that very symbol.
 */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

/**
 * A context that is `parent` with `span` as its active span: what `trace.setSpan(parent, span)`
 * means, at the cost of one small object. The API's own contexts copy their parent's map of
 * values and make three closures each; a span is started on every traced call, so that copy
 * was a large part of the cost of opening a span. Reads of other keys go to `parent`, and writes
 * return a context with the same values as the API's would, so OpenTelemetry code running
 * inside (`trace.getSpan`, propagators, an SDK's tracer, suppression flags) sees no difference.
 */
class SpanBoundContext implements Context {
  constructor(
    /** Never a SpanBoundContext itself (see {@link contextWithSpan}), so lookups stay one step deep. */
    readonly parent: Context,
    readonly span: unknown,
  ) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    if (key === SPAN_KEY) return new SpanBoundContext(this.parent, value);
    return new SpanBoundContext(this.parent.setValue(key, value), this.span);
  }

  deleteValue(key: symbol): Context {
    if (key === SPAN_KEY) return this.parent.deleteValue(key);
    return new SpanBoundContext(this.parent.deleteValue(key), this.span);
  }
}

/** `parent` with `span` active; the same as `trace.setSpan(parent, span)`, without copying `parent`. */
export function contextWithSpan(parent: Context, span: OtelSpan): Context {
  // a span set over a span: the outer one is hidden for good, so the new context skips it
  const base = parent instanceof SpanBoundContext ? parent.parent : parent;
  return new SpanBoundContext(base, span);
}
