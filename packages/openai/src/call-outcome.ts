import type { SdkCallRecorder, StreamHooks } from "@tracewright/core/instrumentation";
import { recordResponse } from "./convert.js";
import { createStreamAccumulator } from "./stream-accumulator.js";
import type { CallSettings, Endpoint } from "./types.js";

/** What one traced call needs to record its outcome. */
export interface CallContext {
  endpoint: Endpoint;
  body: unknown;
  settings: CallSettings;
}

/** How the kit records one call: a parsed response as is, a stream's chunks folded into one. */
export function recorderFor(ctx: CallContext): SdkCallRecorder {
  return {
    streamHooks: (signal) => streamHooks(ctx, signal),
    recordResponse: (span, value) => recordResponse(span, ctx.endpoint, ctx.body, value, ctx.settings),
  };
}

/** How a stream's chunks fold into the response they add up to (holds no reference to the stream). */
function streamHooks(ctx: CallContext, signal: AbortSignal | undefined): StreamHooks {
  const accumulator = createStreamAccumulator(ctx.endpoint);
  if (!accumulator) return { chunkCountAttribute: "openai.stream.chunks", signal };
  return {
    chunkCountAttribute: "openai.stream.chunks",
    signal,
    onChunk: (chunk) => {
      if (chunk !== null && typeof chunk === "object") accumulator.add(chunk as Record<string, unknown>);
    },
    onEnd: (span) => recordResponse(span, ctx.endpoint, ctx.body, accumulator.result(), ctx.settings),
  };
}
