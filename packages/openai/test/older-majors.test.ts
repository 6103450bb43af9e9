/**
 * The older majors in the peer range: openai 5 (the copy `@llamaindex/openai` 0.4 installs) and
 * openai 6. CommonJS apps (autolog before and after require), an ESM app with the register hook,
 * and streams read to the end or broken off, each in a child process whose node_modules/openai
 * is that real copy (the script runs from the app, so it resolves the app's openai), against a
 * loopback server serving recorded responses.
 */
import { decodeNockResponse, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, dependencyDir, nestedOpenAI5Dir, runNode, scratchApp, tracesIn } from "./child-app.js";

const chat = readNockRecording("chat-completion-basic.json")[0]!;
const streamed = readNockRecording("chat-streaming-include-usage.json")[0]!;

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res, body) => {
    const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    res.end(stream ? (decodeNockResponse(streamed) as string) : JSON.stringify(decodeNockResponse(chat)));
  });
});
afterAll(() => server.close());

async function run(openaiDir: string, fixture: string, nodeArgs: string[] = [], env: Record<string, string> = {}) {
  const dir = scratchApp(openaiDir);
  const { out, db } = await runNode<Record<string, unknown>>(dir, [...nodeArgs, appScript(dir, fixture)], {
    OPENAI_BASE_URL: `${server.url}/v1`,
    ...env,
  });
  return { out, traces: tracesIn(db) };
}

describe.each([
  ["5", nestedOpenAI5Dir],
  ["6", () => dependencyDir("openai-v6")],
])("with openai %s installed", (major, openaiDir) => {
  it("runs the app against that major itself", async () => {
    const { version } = (await import(`${openaiDir()}/package.json`, { with: { type: "json" } })).default as {
      version: string;
    };
    expect(version.split(".")[0]).toBe(major);
  });

  it.each([["1"], ["0"]])("traces a CommonJS app (autolog first: %s)", async (first) => {
    const { out, traces } = await run(openaiDir(), "use-openai.cjs", [], { AUTOLOG_FIRST: first });
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(traces.map((t) => t.data.spans.map((s) => `${s.name} ${s.spanType}`))).toEqual([["Completions CHAT_MODEL"]]);
    expect((traces[0]!.data.spans[0]!.outputs as { model: string }).model).toMatch(/^gpt-4o-mini/);
  });

  it("traces an ESM app started with --import @tracewright/openai/register", async () => {
    const { out, traces } = await run(openaiDir(), "use-openai.mjs", ["--import", "@tracewright/openai/register"]);
    expect(out.answer).toBe("Atlantic Ocean.");
    expect(traces.map((t) => t.data.spans[0]!.spanType)).toEqual(["CHAT_MODEL"]);
  });

  it("rebuilds streamed replies read to the end, and ends broken-off ones with stream_abandoned", async () => {
    // the register hook patches the app's openai 5 as the script imports it
    const { out, traces } = await run(
      openaiDir(),
      "stream-gc.mjs",
      ["--expose-gc", "--import", "@tracewright/openai/register"],
      {
        STREAM_PARAMS: JSON.stringify({ ...(streamed.body as object), stream: true }),
        STREAMS: "4",
        WAYS: "read,breakOff",
      },
    );
    expect(traces).toHaveLength(out.calls as number);
    const spans = traces.map((t) => t.data.spans[0]!);
    const read = spans.filter((s) => !s.events.some((e) => e.name === "stream_abandoned"));
    expect(read).toHaveLength((out.calls as number) / 2);
    for (const s of read) {
      const content = (s.outputs as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content;
      expect(content.length).toBeGreaterThan(0);
      expect(s.getAttribute("mlflow.chat.tokenUsage")).toMatchObject({ total_tokens: expect.any(Number) });
    }
  });
});
