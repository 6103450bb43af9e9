import {
  type Context,
  context,
  createContextKey,
  isSpanContextValid,
  trace as otelTrace,
  type SpanContext,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { LiveSpan } from "../entities/live-span.js";
import { log } from "../internal/log.js";
import { processSingleton } from "../internal/process-state.js";
import { contextWithSpan } from "./span-bound-context.js";

/** Finds the innermost span of a run tree that an integration tracks itself (e.g. LangChain's). */
export type ActiveSpanResolver = () => LiveSpan | null;

/** Shared by every copy of core: one context manager check, one list of resolvers per process. */
const contextState = processSingleton("context", () => ({ ready: false, resolvers: [] as ActiveSpanResolver[] }));

/**
 * Makes sure `@opentelemetry/api` has a working context manager. An application that already
 * registered one (e.g. through the OpenTelemetry SDK) keeps its own; otherwise we register
 * AsyncLocalStorage, so spans follow `await`, timers and promise chains.
 */
export function ensureContextManager(): void {
  if (contextState.ready) return;
  contextState.ready = true;
  const manager = new AsyncLocalStorageContextManager();
  if (context.setGlobalContextManager(manager.enable())) return;
  manager.disable();
  const probe = createContextKey("tracewright.context-probe");
  const works = context.with(context.active().setValue(probe, true), () => context.active().getValue(probe) === true);
  if (!works) {
    log.warnOnce(
      "noop-context",
      "the registered OpenTelemetry context manager does not propagate context; spans will not nest",
    );
  }
}

/**
 * Lets an integration whose library keeps its own run context (LangChain's run tree, say) name
 * the span that calls made inside that context belong to, when no Tracewright span is active in
 * the OpenTelemetry context. Returns a function that removes the resolver.
 */
export function registerActiveSpanResolver(resolver: ActiveSpanResolver): () => void {
  const resolvers = contextState.resolvers;
  resolvers.push(resolver);
  return () => {
    const i = resolvers.indexOf(resolver);
    if (i >= 0) resolvers.splice(i, 1);
  };
}

/** The Tracewright span active in the OpenTelemetry context, ignoring resolvers. */
export function contextLiveSpan(): LiveSpan | null {
  return liveSpanIn(context.active());
}

function liveSpanIn(ctx: Context): LiveSpan | null {
  const span = otelTrace.getSpan(ctx);
  return span instanceof LiveSpan ? span : null;
}

function resolvedLiveSpan(): LiveSpan | null {
  const resolvers = contextState.resolvers;
  for (let i = resolvers.length - 1; i >= 0; i--) {
    try {
      const found = (resolvers[i] as ActiveSpanResolver)();
      if (found && !found.ended) return found;
    } catch (e) {
      log.error("an active-span resolver failed", e);
    }
  }
  return null;
}

/**
 * The innermost Tracewright span active in the current async context, if any. A resolver's span
 * wins over the context's span when it belongs to the same trace and started later: the library
 * entered its run inside that span (an agent run inside the user's `trace()`), so it is the
 * inner one.
 */
export function activeLiveSpan(): LiveSpan | null {
  return activeLiveSpanIn(context.active());
}

/** {@link activeLiveSpan} for a context already read (a span start reads it once for all its lookups). */
export function activeLiveSpanIn(ctx: Context): LiveSpan | null {
  const span = liveSpanIn(ctx);
  if (contextState.resolvers.length === 0) return span;
  const resolved = resolvedLiveSpan();
  if (span === null) return resolved;
  if (resolved && resolved.traceId === span.traceId && resolved.startTimeNs >= span.startTimeNs) return resolved;
  return span;
}

/**
 * Runs `fn` with `span` as the active span (for Tracewright and for OpenTelemetry alike), in
 * `parent` (default: the active context) with the span set.
 */
export function runWithSpan<T>(span: LiveSpan, fn: () => T, parent: Context = context.active()): T {
  return context.with(contextWithSpan(parent, span), fn);
}

/**
 * The context of the active span when it belongs to another OpenTelemetry tracer (an HTTP
 * server span of the app, say): Tracewright traces started inside it join its trace tree.
 */
export function activeForeignSpanContext(): SpanContext | null {
  return foreignSpanContextIn(context.active());
}

/** {@link activeForeignSpanContext} for a context already read. */
export function foreignSpanContextIn(ctx: Context): SpanContext | null {
  const span = otelTrace.getSpan(ctx);
  if (!span || span instanceof LiveSpan) return null;
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? spanContext : null;
}
