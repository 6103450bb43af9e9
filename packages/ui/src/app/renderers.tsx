import type { SpanView } from "../server/views.js";
import { JsonView } from "./json-view.js";

/** Type-specific renderings of a span: chat transcripts, retrieved documents, embeddings. */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function contentText(content: unknown): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (!isObj(part)) return String(part);
        if (typeof part.text === "string") return part.text;
        if (part.type === "image_url") return "[image]";
        return JSON.stringify(part);
      })
      .join("\n");
  }
  return JSON.stringify(content, null, 2);
}

function prettyArguments(args: unknown): string {
  if (typeof args !== "string") return JSON.stringify(args, null, 2);
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}

/** The chat messages a CHAT_MODEL / LLM span recorded (`mlflow.chat.messages`), if any. */
export function chatMessagesOf(span: SpanView): Obj[] | null {
  const messages = span.attributes["mlflow.chat.messages"];
  return Array.isArray(messages) ? messages.filter(isObj) : null;
}

/** A conversation as a transcript: roles, text, tool calls and tool results, then tools and usage. */
export function ChatTranscript({ span }: { span: SpanView }) {
  const messages = chatMessagesOf(span) ?? [];
  const tools = span.attributes["mlflow.chat.tools"];
  const usage = span.attributes["mlflow.chat.tokenUsage"];
  return (
    <div class="chat" data-testid="chat-transcript">
      {messages.map((m, i) => {
        const role = String(m.role ?? "unknown");
        const calls = Array.isArray(m.tool_calls) ? m.tool_calls.filter(isObj) : [];
        return (
          <div key={i} class={`msg msg-${role}`} data-role={role}>
            <div class="msg-role">
              {role}
              {typeof m.tool_call_id === "string" && <span class="muted"> · result of {m.tool_call_id}</span>}
              {typeof m.name === "string" && <span class="muted"> · {m.name}</span>}
            </div>
            {contentText(m.content) !== "" && <div class="msg-content">{contentText(m.content)}</div>}
            {calls.map((c, j) => {
              const fn = isObj(c.function) ? c.function : {};
              return (
                <div key={j} class="tool-call" data-testid="tool-call">
                  <div class="tool-call-name">
                    calls <b>{String(fn.name ?? "?")}</b> <span class="muted">{String(c.id ?? "")}</span>
                  </div>
                  <pre>{prettyArguments(fn.arguments)}</pre>
                </div>
              );
            })}
          </div>
        );
      })}
      {Array.isArray(tools) && tools.length > 0 && (
        <div class="chat-tools">
          <h4>Tools offered</h4>
          <ul>
            {tools.filter(isObj).map((t, i) => {
              const fn = isObj(t.function) ? t.function : t;
              return (
                <li key={i}>
                  <b>{String(fn.name ?? "?")}</b>
                  {typeof fn.description === "string" && <span class="muted"> — {fn.description}</span>}
                </li>
              );
            })}
          </ul>
        </div>
      )}
      {isObj(usage) && (
        <div class="chat-usage" data-testid="token-usage">
          tokens: in {String(usage.input_tokens ?? 0)} · out {String(usage.output_tokens ?? 0)} · total{" "}
          {String(usage.total_tokens ?? 0)}
        </div>
      )}
    </div>
  );
}

/** The documents a RETRIEVER span returned, if its outputs are a document list. */
export function documentsOf(span: SpanView): Obj[] | null {
  const out = span.outputs;
  if (!Array.isArray(out) || out.length === 0) return null;
  const docs = out.filter(isObj);
  return docs.length === out.length && docs.some((d) => "page_content" in d) ? docs : null;
}

export function DocumentCards({ span }: { span: SpanView }) {
  const docs = documentsOf(span) ?? [];
  return (
    <div class="docs" data-testid="documents">
      {docs.map((d, i) => {
        const metadata = isObj(d.metadata) ? d.metadata : {};
        const score = metadata.score ?? metadata.relevance_score ?? d.score;
        const uri = metadata.doc_uri ?? metadata.source ?? metadata.url;
        return (
          <div key={i} class="doc-card">
            <div class="doc-head">
              <span>#{i + 1}</span>
              {uri !== undefined && <span class="doc-uri">{String(uri)}</span>}
              {typeof score === "number" && <span class="doc-score">score {score.toFixed(3)}</span>}
            </div>
            <div class="doc-content">{String(d.page_content ?? "")}</div>
          </div>
        );
      })}
    </div>
  );
}

/** An EMBEDDING span as what was embedded: how many inputs, how many vectors of what size. */
export function EmbeddingSummary({ span }: { span: SpanView }) {
  const out = span.outputs;
  let count: unknown;
  let dimensions: unknown;
  if (isObj(out)) {
    count = out.count;
    dimensions = out.dimensions;
  } else if (Array.isArray(out)) {
    count = out.length;
    dimensions = Array.isArray(out[0]) ? out[0].length : out.length;
  }
  const inputs = isObj(span.inputs) ? (span.inputs.input ?? span.inputs.texts ?? span.inputs.values) : span.inputs;
  const inputCount = Array.isArray(inputs) ? inputs.length : inputs === null || inputs === undefined ? 0 : 1;
  return (
    <div class="embedding" data-testid="embedding-summary">
      <div>
        <b>{String(count ?? "?")}</b> vectors of <b>{String(dimensions ?? "?")}</b> dimensions from <b>{inputCount}</b>{" "}
        input{inputCount === 1 ? "" : "s"}
      </div>
      {Array.isArray(inputs) && <JsonView value={inputs} />}
    </div>
  );
}
