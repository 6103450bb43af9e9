import type { SdkCallRecorder } from "@tracewright/core/instrumentation";
import { recordResponse } from "./convert.js";
import { streamHooks } from "./stream.js";
import type { CallSettings, Endpoint } from "./types.js";

/** What one traced call needs to record its outcome. */
export interface CallContext {
  endpoint: Endpoint;
  body: unknown;
  settings: CallSettings;
}

/** How the kit records one call: a parsed Message as is, a stream's events folded into one. */
export function recorderFor(ctx: CallContext): SdkCallRecorder {
  return {
    streamHooks: (signal) => streamHooks(ctx, signal),
    recordResponse: (span, value) => recordResponse(span, ctx.endpoint, ctx.body, value),
  };
}
