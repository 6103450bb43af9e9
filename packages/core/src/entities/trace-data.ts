import { SpanAttributeKey } from "../constants.js";
import { brandClass } from "../internal/process-state.js";
import { Span, type SpanDict } from "./span.js";

/** The spans of a trace, with the root's request/response as JSON. */
export class TraceData {
  readonly spans: Span[];
  /**
   * {@link approxSpanBytes}, once measured (a finished trace's spans no longer change). Private: out
   * of `Object.keys`, JSON and deep equality, as a field of the entity must not show.
   */
  #approxBytes: number | undefined = undefined;

  constructor(spans: Span[] = []) {
    this.spans = spans;
  }

  /** The root span, or undefined for an empty trace. */
  get rootSpan(): Span | undefined {
    return this.spans.find((s) => s.parentId === null);
  }

  /** The root span's inputs as a JSON string, or null. */
  get request(): string | null {
    return this.rootSpan?.rawAttribute(SpanAttributeKey.INPUTS) ?? null;
  }

  /** The root span's outputs as a JSON string, or null. */
  get response(): string | null {
    return this.rootSpan?.rawAttribute(SpanAttributeKey.OUTPUTS) ?? null;
  }

  /** Outputs of the non-root spans that have outputs, keyed by span name. */
  get intermediateOutputs(): Record<string, unknown> | null {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const span of this.spans) {
      if (span.parentId === null) continue;
      const outputs = span.outputs;
      if (outputs === null || outputs === undefined) continue;
      out[span.name] = outputs;
      any = true;
    }
    return any ? out : null;
  }

  /**
   * @internal {@link approxSpanBytes}: measured once per trace of this copy of core (the export
   * queue, the hand-off and a backlog offered again every few milliseconds all ask, and each
   * measure walks every attribute of every span: bench:store's end-to-end ingest spent 2.3 µs per
   * span of the app's thread measuring on each asking); a trace of another copy is measured anew.
   */
  static approxBytesOf(data: TraceData): number {
    const memo = #approxBytes in data ? data.#approxBytes : undefined;
    if (memo !== undefined) return memo;
    const spans = data.spans;
    let n = 0;
    for (let i = 0; i < spans.length; i++) n += (spans[i] as Span).approxSizeBytes();
    if (#approxBytes in data) data.#approxBytes = n;
    return n;
  }

  toDict(): { spans: SpanDict[] } {
    return { spans: this.spans.map((s) => s.toDict()) };
  }

  static fromDict(d: { spans?: Array<Record<string, unknown>> }): TraceData {
    return new TraceData((d.spans ?? []).map((s) => Span.fromDict(s)));
  }
}

// `instanceof` recognises instances made by another copy of core loaded in the same process.
brandClass(TraceData, "TraceData");

/**
 * @internal Roughly how many bytes a trace's spans take (their attribute text and names): what
 * the export queue's bounds and the embedded store's hand-off count. A function rather than a
 * method, so that it also measures a trace made by another copy of core in the process.
 */
export function approxSpanBytes(data: TraceData): number {
  return TraceData.approxBytesOf(data);
}
