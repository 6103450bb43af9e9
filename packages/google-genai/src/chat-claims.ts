/**
 * One owner per call: `Chat.sendMessage` calls `this.modelsModule.generateContent` (and
 * `sendMessageStream` calls `generateContentStream`) inside the chat's span. The chat span
 * records that call; the Models method, seeing its span active with an unclaimed claim, takes it
 * and runs untraced (keeping the request it sends, so the chat span records the conversation as
 * sent, history included). A later call in the same context (a tool that calls the model during
 * automatic function calling) finds the claim taken and gets a span of its own, nested under the
 * chat's. Keyed by span, so only async context decides; process-wide, so every copy of this
 * integration (its ESM and CommonJS builds, a traced client) shares it.
 */
import type { LiveSpan } from "@tracewright/core";

export interface ChatClaim {
  taken: boolean;
  /** The generateContent parameters the chat sent. */
  request: unknown;
}

const KEY = Symbol.for("tracewright.google-genai.chat-claims.v1");
const store = globalThis as Record<symbol, WeakMap<LiveSpan, ChatClaim> | undefined>;
if (store[KEY] === undefined) store[KEY] = new WeakMap();
const claims: WeakMap<LiveSpan, ChatClaim> = store[KEY];

/** Opens a claim for the model call a chat span is about to make. */
export function openClaim(span: LiveSpan): ChatClaim {
  const claim: ChatClaim = { taken: false, request: undefined };
  claims.set(span, claim);
  return claim;
}

/** Takes the active chat span's claim for a model call: true when the chat span records this call. */
export function takeClaim(active: LiveSpan | null, request: unknown): boolean {
  if (active === null) return false;
  const claim = claims.get(active);
  if (claim === undefined || claim.taken) return false;
  claim.taken = true;
  claim.request = request;
  return true;
}
