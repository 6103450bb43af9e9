import type * as DiagnosticsChannel from "node:diagnostics_channel";
import { runSafely } from "@tracewright/core/instrumentation";
import { endingAbandonedSpans } from "@tracewright/otel-genai";

/** The tracing channel the AI SDK publishes its calls on (`ai/src/telemetry/tracing-channel.ts`). */
const AI_SDK_TRACING_CHANNEL = "ai:telemetry";

/** The part of the AI SDK's OpenTelemetry integration that ends a call's spans and forgets the call. */
export interface CallAborter {
  onAbort(event: { callId: string; steps: unknown[] }): void;
}

interface ChannelMessage {
  type?: unknown;
  event?: { callId?: unknown };
  error?: unknown;
}

/**
 * What the finalization registry keeps about one streamText call: its id and the watch, never
 * the channel message (held strongly until the message is collected, a reference to it would
 * keep the call's result alive forever).
 */
interface WatchedCall {
  callId: string;
  watch: AbandonedStreamWatch;
}

const droppedCalls = new FinalizationRegistry<WatchedCall>(({ callId, watch }) => watch.abandon(callId));

type TracingChannel = ReturnType<typeof DiagnosticsChannel.tracingChannel>;

function aiSdkTracingChannel(): TracingChannel | undefined {
  const dc = (globalThis.process as { getBuiltinModule?: (id: string) => unknown } | undefined)?.getBuiltinModule?.(
    "node:diagnostics_channel",
  ) as typeof DiagnosticsChannel | undefined;
  return dc?.tracingChannel?.(AI_SDK_TRACING_CHANNEL);
}

/**
 * Ends the trace of a `streamText` call whose result the app dropped before its stream ended
 * (a `break` out of `textStream`, a stream never read): the AI SDK then fires none of its end
 * events, and its OpenTelemetry integration would keep the call's spans forever.
 *
 * The AI SDK publishes each streamText call on its `ai:telemetry` tracing channel and keeps that
 * message reachable exactly while the call's result may still complete (the message waits on
 * the result's usage promise). Once the message is garbage collected without the call having
 * completed, nobody can read the stream any more: the watch aborts the call in the integration,
 * which ends its open spans (marked `stream_abandoned`) and forgets it; the trace is stored.
 */
export class AbandonedStreamWatch {
  private channel: TracingChannel | undefined;
  private readonly handlers = {
    start: (message: unknown) => this.watch(message as ChannelMessage),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: (message: unknown) => this.completed(message as ChannelMessage),
    error: () => {},
  };

  constructor(private readonly integration: CallAborter) {}

  /** Starts watching streamText calls (Node only; elsewhere a no-op). */
  start(): void {
    if (this.channel) return;
    runSafely("watching for abandoned AI SDK streams", () => {
      this.channel = aiSdkTracingChannel();
      this.channel?.subscribe(this.handlers as never);
    });
  }

  /** Stops watching; calls already watched are still ended if their results are dropped. */
  stop(): void {
    runSafely("unwatching AI SDK streams", () => this.channel?.unsubscribe(this.handlers as never));
    this.channel = undefined;
  }

  /** Ends a dropped call's open spans; a call that already ended is unknown to the integration, a no-op. */
  abandon(callId: string): void {
    runSafely("ending an abandoned AI SDK stream", () =>
      endingAbandonedSpans(() => this.integration.onAbort({ callId, steps: [] })),
    );
  }

  private watch(message: ChannelMessage): void {
    if (message.type !== "streamText" || typeof message.event?.callId !== "string") return;
    droppedCalls.register(message, { callId: message.event.callId, watch: this }, message);
  }

  private completed(message: ChannelMessage): void {
    // a call that failed (or was aborted unread) may still hold spans in the integration: keep watching it
    if (message.error === undefined) droppedCalls.unregister(message);
  }
}
