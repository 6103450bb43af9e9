import { decodeNockResponse, type LoopbackServer, readNockRecording, startLoopbackServer } from "@tracewright/testing";

/** A recorded chat completion reply and the usage the provider reported with it. */
interface RecordedReply {
  body: string;
  contentType: string;
  totalTokens: number;
}

function recorded(name: string, index = 0): { body: unknown; request: unknown } {
  const def = readNockRecording(name)[index];
  if (!def) throw new Error(`recording ${name} has no exchange ${index}`);
  return { body: decodeNockResponse(def), request: def.body };
}

function jsonReply(name: string, index = 0): RecordedReply {
  const body = recorded(name, index).body as { usage: { total_tokens: number } };
  return { body: JSON.stringify(body), contentType: "application/json", totalTokens: body.usage.total_tokens };
}

function sseReply(name: string): RecordedReply {
  const text = recorded(name).body as string;
  let totalTokens = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: {")) continue;
    const usage = (JSON.parse(line.slice(6)) as { usage?: { total_tokens?: number } | null }).usage;
    if (usage?.total_tokens) totalTokens = usage.total_tokens;
  }
  return { body: text, contentType: "text/event-stream", totalTokens };
}

/**
 * The recorded OpenAI replies the server picks from, by what the request asks: a plain answer,
 * a streamed answer, the weather agent's two turns (parallel tool calls, then the final answer).
 */
export const REPLIES = {
  answer: jsonReply("chat-completion-basic.json"),
  streamed: sseReply("chat-streaming-include-usage.json"),
  toolCalls: jsonReply("chat-completion-parallel-tool-calls-two-turns.json", 0),
  afterTools: jsonReply("chat-completion-parallel-tool-calls-two-turns.json", 1),
};

/**
 * A real HTTP server on 127.0.0.1 that answers `/v1/chat/completions` with recorded OpenAI
 * replies, after a small random delay so that many requests really are in flight together.
 */
export function startRecordedOpenAIServer(): Promise<LoopbackServer> {
  return startLoopbackServer((req, res, raw) => {
    const request = JSON.parse(raw || "{}") as {
      stream?: boolean;
      tools?: unknown[];
      messages?: Array<{ role: string }>;
    };
    const reply = request.stream
      ? REPLIES.streamed
      : request.messages?.some((m) => m.role === "tool")
        ? REPLIES.afterTools
        : request.tools?.length
          ? REPLIES.toolCalls
          : REPLIES.answer;
    if (req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    setTimeout(() => res.writeHead(200, { "content-type": reply.contentType }).end(reply.body), Math.random() * 20);
  });
}
