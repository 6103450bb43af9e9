/**
 * Observes the `APIPromise` of a Stainless-generated SDK (openai, `@anthropic-ai/sdk`, and the
 * other SDKs generated the same way) without consuming it. The body is parsed only when the user
 * (or an SDK helper) asks for it (`await`, `.then`, `.withResponse()`, ...), through the promise's
 * own `parseResponse`, which is wrapped here; so the span records the result whenever that
 * happens, however late. The integration never calls `then` itself: `.asResponse()` still hands
 * back an unread body.
 */
import type { LiveSpan } from "../entities/live-span.js";
import { SpanEvent } from "../entities/span-event.js";
import { isThenable } from "../tracing/instrument.js";
import { runSafely } from "../tracing/safely.js";

/** The parts of a Stainless `APIPromise` the observer relies on. */
export interface ApiPromiseLike extends Promise<unknown> {
  responsePromise: Promise<{ response: { status: number; headers: { get(name: string): string | null } } }>;
  parseResponse: (this: unknown, client: unknown, props: unknown) => unknown;
  _thenUnwrap?: (this: unknown, transform: unknown) => unknown;
  asResponse?: (this: unknown) => Promise<unknown>;
}

/** What the integration records once the call's outcome is known. */
export interface ApiPromiseHooks {
  /**
   * The parsed body (a response object, or the SDK's `Stream` for `stream: true`), once. The hook
   * ends the span when the call is over (a stream keeps it open until read).
   */
  onParsed: (span: LiveSpan, value: unknown) => void;
  /** The call failed: the SDK rejects the user's promise with `error`, untouched. */
  onFailed: (span: LiveSpan, error: unknown) => void;
}

/** True for a Stainless `APIPromise`: a native promise with `parseResponse` and `responsePromise`. */
export function isApiPromise(value: unknown): value is ApiPromiseLike {
  return (
    value instanceof Promise &&
    typeof (value as ApiPromiseLike).parseResponse === "function" &&
    isThenable((value as ApiPromiseLike).responsePromise)
  );
}

/**
 * What is kept about one APIPromise. Never references the promise: it is the held value of the
 * finalization registry below, so a reference back would keep the promise alive.
 */
class PromiseObservation {
  /** The body is being parsed (or was): the parse records the outcome. */
  parseStarted = false;
  private recorded = false;

  constructor(
    private readonly span: LiveSpan,
    private readonly hooks: ApiPromiseHooks,
  ) {}

  /** The first parse to complete records the span (derived promises parse through the original's). */
  parsed(value: unknown): void {
    this.settle();
    if (this.recorded) return;
    this.recorded = true;
    runSafely("recording a response", () => {
      if (!this.span.ended) this.hooks.onParsed(this.span, value);
    });
  }

  failed(error: unknown): void {
    this.settle();
    runSafely("recording an error", () => {
      if (!this.span.ended) this.hooks.onFailed(this.span, error);
    });
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
function hook(target: ApiPromiseLike, observation: PromiseObservation): void {
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
      // biome-ignore lint/complexity/noArguments: forwards the exact arguments the SDK received
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
    if (isApiPromise(derived)) runSafely("observing a derived API promise", () => hook(derived, observation));
    return derived;
  };
}

/**
 * Records the call's outcome on `span` through `hooks` whenever the user consumes `promise`. A
 * promise dropped without ever being consumed ends its span (`response_not_consumed`) once it is
 * collected.
 */
export function observeApiPromise(span: LiveSpan, promise: ApiPromiseLike, hooks: ApiPromiseHooks): void {
  const observation = new PromiseObservation(span, hooks);
  hook(promise, observation);
  // Watched for collection only once the response is in and nothing has asked for the body:
  // nearly every call is awaited at once, and registering with a FinalizationRegistry (then
  // unregistering) costs more than a microsecond per call. Until the response arrives, the
  // request in flight holds `responsePromise` and with it this reaction, so the promise cannot
  // be collected unseen in the meantime; after it, the reaction lets go of the promise.
  let pending: ApiPromiseLike | undefined = promise;
  promise.responsePromise.then(
    (props) => {
      const p = pending;
      pending = undefined;
      observation.status(props.response.status);
      if (p !== undefined && !observation.parseStarted && !parseRequested(p)) {
        unconsumed.register(p, observation, observation);
      }
    },
    (error: unknown) => {
      pending = undefined;
      observation.failed(error);
    },
  );
}

/**
 * True when the body was asked for (`then`, `catch`, `finally`, `withResponse()`): a Stainless
 * `parse()` stores the parse's promise on the APIPromise (a public field in openai 4 to 7 and
 * `@anthropic-ai/sdk` 1). An SDK without it reads as never asked, so the promise is watched as before.
 */
function parseRequested(promise: ApiPromiseLike): boolean {
  try {
    return (promise as { parsedPromise?: unknown }).parsedPromise !== undefined;
  } catch {
    return false;
  }
}
