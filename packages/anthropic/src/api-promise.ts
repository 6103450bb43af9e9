/**
 * Observes anthropic's APIPromise without consuming it. The body is parsed only when the user (or
 * an anthropic helper) asks for it (`await`, `.then`, `.withResponse()`, ...), through the
 * promise's own `parseResponse`, which is wrapped here; so the span records the result whenever
 * that happens, however late, and ends when the body has been parsed. The plugin never calls
 * `then` itself: `.asResponse()` still hands back an unread body.
 */
import { type LiveSpan, SpanEvent } from "@tracewright/core";
import { isThenable, runSafely } from "@tracewright/core/instrumentation";
import { type CallContext, recordFailure, recordParsed } from "./call-outcome.js";
import type { APIPromiseLike } from "./types.js";

export function isApiPromise(value: unknown): value is APIPromiseLike {
  return (
    value instanceof Promise &&
    typeof (value as APIPromiseLike).parseResponse === "function" &&
    isThenable((value as APIPromiseLike).responsePromise)
  );
}

/**
 * What the plugin keeps about one APIPromise. Never references the promise: it is the held
 * value of the finalization registry below, so a reference back would keep the promise alive.
 */
class PromiseObservation {
  /** The body is being parsed (or was): the parse records the outcome. */
  parseStarted = false;
  private recorded = false;

  constructor(
    private readonly span: LiveSpan,
    private readonly ctx: CallContext,
  ) {}

  /** The first parse to complete records the span (derived promises parse through the original's). */
  parsed(value: unknown): void {
    this.settle();
    if (this.recorded) return;
    this.recorded = true;
    recordParsed(this.span, value, this.ctx);
  }

  failed(error: unknown): void {
    this.settle();
    recordFailure(this.span, error);
  }

  status(code: number): void {
    runSafely("recording the HTTP status", () => {
      if (!this.span.ended) this.span.setAttribute("http.response.status_code", code);
    });
  }

  /** The user took the raw response (`asResponse()`) and nothing parses the body: end without outputs. */
  rawTaken(): void {
    if (this.parseStarted) return;
    this.settle();
    runSafely("ending a raw-response span", () => {
      if (!this.span.ended) this.span.end();
    });
  }

  /** The promise was garbage collected and nobody ever consumed it. */
  collected(): void {
    if (this.parseStarted) return;
    runSafely("ending an unconsumed call's span", () => {
      if (this.span.ended) return;
      this.span.addEvent(new SpanEvent({ name: "response_not_consumed" }));
      this.span.end();
    });
  }

  private settle(): void {
    unconsumed.unregister(this);
  }
}

/** Ends the spans of calls whose promise was dropped without ever being awaited. */
const unconsumed = new FinalizationRegistry<PromiseObservation>((observation) => observation.collected());

/** Wraps `parseResponse`, `asResponse` and `_thenUnwrap` of one APIPromise (the original or a derived one). */
function hook(target: APIPromiseLike, observation: PromiseObservation): void {
  const originalParse = target.parseResponse;
  target.parseResponse = function parseResponse(this: unknown, client: unknown, props: unknown) {
    observation.parseStarted = true;
    const parsed = originalParse.call(this, client, props);
    Promise.resolve(parsed).then(
      (value) => observation.parsed(value),
      (error: unknown) => observation.failed(error),
    );
    return parsed;
  };
  const originalAsResponse = target.asResponse;
  if (typeof originalAsResponse === "function") {
    const responsePromise = target.responsePromise;
    target.asResponse = function asResponse(this: unknown) {
      // biome-ignore lint/complexity/noArguments: forwards the exact arguments anthropic received
      const raw = originalAsResponse.apply(this, arguments as never);
      // A parse asked for before this (withResponse() calls parse() first) starts in a reaction
      // registered on the same promise ahead of this one, so it has started when this runs; if
      // none has, the body is the user's alone.
      runSafely("observing a raw response", () => {
        responsePromise.then(
          () => observation.rawTaken(),
          () => undefined, // the failure is recorded by the status observer
        );
      });
      return raw;
    };
  }
  const originalThenUnwrap = target._thenUnwrap;
  if (typeof originalThenUnwrap !== "function") return;
  target._thenUnwrap = function _thenUnwrap(this: unknown, transform: unknown) {
    const derived = originalThenUnwrap.call(this, transform);
    if (isApiPromise(derived)) runSafely("observing a derived anthropic promise", () => hook(derived, observation));
    return derived;
  };
}

/**
 * Records the call's outcome on `span` whenever the user consumes `promise`. A promise dropped
 * without ever being consumed ends its span (`response_not_consumed`) once it is collected.
 */
export function observeApiPromise(span: LiveSpan, promise: APIPromiseLike, ctx: CallContext): void {
  const observation = new PromiseObservation(span, ctx);
  hook(promise, observation);
  promise.responsePromise.then(
    (props) => observation.status(props.response.status),
    (error: unknown) => observation.failed(error),
  );
  unconsumed.register(promise, observation, observation);
}
