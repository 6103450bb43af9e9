/**
 * Several autologs on at once, across two processes: an Anthropic tool-use agent (recorded
 * Anthropic replies served by a loopback server) calls an MCP tool served by another process (a
 * stdio child), whose tool asks Gemini (a loopback server serving a recorded reply). One trace:
 * agent > Anthropic CHAT_MODEL spans and the MCP client's TOOL span > the server's span (in the
 * child) > the Gemini CHAT_MODEL span; each LLM call's usage counted once. Both processes write
 * to one embedded SQLite file, which holds the one trace.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Anthropic from "@anthropic-ai/sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import * as anthropicTracing from "@tracewright/anthropic";
import {
  flushTraces,
  InMemoryTraceStore,
  type Span,
  SpanAttributeKey,
  SqliteTraceStore,
  setTraceStore,
  type Trace,
  trace,
} from "@tracewright/core";
import * as genaiTracing from "@tracewright/google-genai";
import * as mcpTracing from "@tracewright/mcp";
import {
  harResponseText,
  type LoopbackServer,
  readHar,
  readRecordingText,
  startLoopbackServer,
} from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const productionDir = fileURLToPath(new URL("..", import.meta.url));

// the recorded replies: Anthropic's thinking + tool_use turn, the answer after the tool result
// (hand-written in Anthropic's format), Gemini's generateContent reply
const toolUseReply = (
  JSON.parse(readRecordingText("anthropic-thinking-tool-use-non-streaming.json")) as { body: string }
).body;
const answerReply = readRecordingText("handwritten-anthropic-weather-answer.json");
const geminiEntry = readHar("gemini-generate-content.har")[0]!;
const geminiReply = harResponseText(geminiEntry);
const geminiQuestion = (
  JSON.parse(geminiEntry.request.postData!.text!) as { contents: Array<{ parts: Array<{ text: string }> }> }
).contents[0]!.parts[0]!.text;

const usageOf = (reply: string) =>
  (JSON.parse(reply) as { usage: { input_tokens: number; output_tokens: number } }).usage;
const geminiUsage = (
  JSON.parse(geminiReply) as {
    usageMetadata: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
  }
).usageMetadata;

/** The MCP server the child runs: a get_weather tool that asks Gemini, all autologs on. */
const SERVER_SOURCE = `
import { GoogleGenAI } from "@google/genai";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import * as anthropicTracing from "@tracewright/anthropic";
import * as genaiTracing from "@tracewright/google-genai";
import * as mcpTracing from "@tracewright/mcp";
import { z } from "zod";

// every autolog on, in both processes
await mcpTracing.autolog();
await genaiTracing.autolog();
await anthropicTracing.autolog();
const ai = new GoogleGenAI({ apiKey: "placeholder-gemini-key", httpOptions: { baseUrl: process.env.GEMINI_BASE_URL } });
const server = new McpServer({ name: "weather", version: "1.0.0" });
server.registerTool("get_weather", { inputSchema: { location: z.string() } }, async ({ location }) => {
  const reply = await ai.models.generateContent({ model: "gemini-1.5-flash", contents: process.env.GEMINI_QUESTION });
  return { content: [{ type: "text", text: location + ": " + reply.text.trim() }] };
});
await server.connect(new StdioServerTransport());
`;

let anthropicServer: LoopbackServer;
let geminiServer: LoopbackServer;
const anthropicRequests: Array<{ messages: Array<{ role: string; content: unknown }> }> = [];
let geminiRequests = 0;
beforeAll(async () => {
  anthropicServer = await startLoopbackServer((_req, res, body) => {
    const request = JSON.parse(body) as { messages: Array<{ role: string; content: unknown }> };
    anthropicRequests.push(request);
    const answered = JSON.stringify(request.messages).includes('"tool_result"');
    res.writeHead(200, { "content-type": "application/json" });
    res.end(answered ? answerReply : toolUseReply);
  });
  geminiServer = await startLoopbackServer((req, res) => {
    geminiRequests++;
    res.writeHead(req.url?.includes(":generateContent") ? 200 : 404, { "content-type": "application/json" });
    res.end(geminiReply);
  });
  await anthropicTracing.autolog();
  await genaiTracing.autolog();
  await mcpTracing.autolog();
});
afterAll(async () => {
  await anthropicTracing.autolog({ disable: true });
  await genaiTracing.autolog({ disable: true });
  await mcpTracing.autolog({ disable: true });
  await anthropicServer.close();
  await geminiServer.close();
});

const TOOLS = [
  {
    name: "get_weather",
    description: "Current weather for a location",
    input_schema: { type: "object" as const, properties: { location: { type: "string" } }, required: ["location"] },
  },
];

describe("an Anthropic agent calling an MCP tool that calls Gemini", () => {
  it("records one trace across both processes, nested as the calls are, usage once per call", async () => {
    // one SQLite file for this process and the MCP server's
    const db = join(mkdtempSync(join(tmpdir(), "tw-mixed-")), "traces.db");
    await flushTraces();
    const store = new SqliteTraceStore(db);
    setTraceStore(store);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["--input-type=module", "-e", SERVER_SOURCE],
      cwd: productionDir,
      env: {
        ...(process.env as Record<string, string>),
        TRACEWRIGHT_TRACKING_URI: `sqlite://${db}`,
        GEMINI_BASE_URL: geminiServer.url,
        GEMINI_QUESTION: geminiQuestion,
      },
      stderr: "inherit",
    });
    const mcp = new Client({ name: "weather-agent", version: "1.0.0" });
    await mcp.connect(transport);
    const anthropic = new Anthropic({
      apiKey: "placeholder-anthropic-key",
      baseURL: anthropicServer.url,
      maxRetries: 0,
    });

    const agent = trace(
      async (question: string) => {
        const messages: Anthropic.MessageParam[] = [{ role: "user", content: question }];
        const params = { model: "claude-sonnet-4-6", max_tokens: 1024, tools: TOOLS };
        const first = await anthropic.messages.create({ ...params, messages });
        const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
        const result = await mcp.callTool({ name: use.name, arguments: use.input as Record<string, unknown> });
        const [text] = result.content as Array<{ type: "text"; text: string }>;
        messages.push(
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: text!.text }] },
        );
        const final = await anthropic.messages.create({ ...params, messages });
        return (final.content[0] as Anthropic.TextBlock).text;
      },
      { name: "weather_agent", spanType: "AGENT" },
    );
    const answer = await agent("What is the weather in San Francisco?");
    await mcp.close();
    expect(answer).toBe("It is 18°C and foggy in San Francisco right now.");
    expect(anthropicRequests).toHaveLength(2);
    expect(geminiRequests).toBe(1);
    // the tool's answer (from Gemini, through the child) reached the model
    expect(JSON.stringify(anthropicRequests[1]!.messages)).toContain("San Francisco: 4");

    await flushTraces();
    // ONE trace: the child's parts carry the agent's trace id and merge into it
    const traces: Trace[] = store.searchTraces({ maxResults: 100 }).traces;
    expect(traces).toHaveLength(1);
    const [t] = traces as [Trace];
    const spans: Span[] = t.data.spans;
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s.parentId === null)).toHaveLength(1);
    for (const s of spans) if (s.parentId !== null) expect(ids.has(s.parentId)).toBe(true);

    const tree = (parentId: string | null, depth = 0): string[] =>
      spans
        .filter((s) => s.parentId === parentId)
        .sort((a, b) => a.startTimeNs - b.startTimeNs)
        .flatMap((s) => [`${"  ".repeat(depth)}${s.name} (${s.spanType})`, ...tree(s.spanId, depth + 1)]);
    expect(tree(null)).toEqual([
      "weather_agent (AGENT)",
      "  Messages.create (CHAT_MODEL)",
      "  Client.callTool (TOOL)",
      "    tools/call get_weather (TOOL)",
      "      Models.generateContent (CHAT_MODEL)",
      "  Messages.create (CHAT_MODEL)",
    ]);

    // usage: once per LLM call, on that call's own span, and nowhere else
    const usage = (s: Span) => s.getAttribute(SpanAttributeKey.CHAT_USAGE) as Record<string, number> | undefined;
    const withUsage = spans.filter((s) => usage(s) !== undefined);
    expect(withUsage.map((s) => s.name).sort()).toEqual([
      "Messages.create",
      "Messages.create",
      "Models.generateContent",
    ]);
    const [firstCall, secondCall] = spans
      .filter((s) => s.name === "Messages.create")
      .sort((a, b) => a.startTimeNs - b.startTimeNs);
    expect(usage(firstCall!)).toMatchObject({
      input_tokens: usageOf(toolUseReply).input_tokens,
      output_tokens: usageOf(toolUseReply).output_tokens,
    });
    expect(usage(secondCall!)).toMatchObject({
      input_tokens: usageOf(answerReply).input_tokens,
      output_tokens: usageOf(answerReply).output_tokens,
    });
    expect(usage(spans.find((s) => s.name === "Models.generateContent")!)).toMatchObject({
      input_tokens: geminiUsage.promptTokenCount,
      output_tokens: geminiUsage.candidatesTokenCount,
      total_tokens: geminiUsage.totalTokenCount,
    });
    // the trace's usage sums the three calls, each once
    expect(t.info.tokenUsage).toMatchObject({
      input_tokens:
        usageOf(toolUseReply).input_tokens + usageOf(answerReply).input_tokens + geminiUsage.promptTokenCount,
      output_tokens:
        usageOf(toolUseReply).output_tokens + usageOf(answerReply).output_tokens + geminiUsage.candidatesTokenCount,
    });
    expect(t.info.state).toBe("OK");
    setTraceStore(new InMemoryTraceStore());
    store.close();
  });
});
