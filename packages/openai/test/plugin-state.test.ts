/**
 * One plugin state per process. A CommonJS app started with `--import
 * @tracewright/openai/register` holds two copies of the plugin (the hook's ESM build and the
 * app's `require`d CommonJS build); `autolog({ redact })` and `autolog({ disable: true })` called
 * in code must govern the calls patched by either copy. In a child process, against a loopback
 * server serving a recorded response.
 */
import { decodeNockResponse, readNockRecording, startLoopbackServer } from "@tracewright/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appScript, runNode, scratchApp, tracesIn } from "./child-app.js";

const recording = readNockRecording("chat-completion-basic.json")[0]!;
const reply = JSON.stringify(decodeNockResponse(recording));

let server: Awaited<ReturnType<typeof startLoopbackServer>>;
beforeAll(async () => {
  server = await startLoopbackServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(reply);
  });
});
afterAll(() => server.close());

async function runConfigured(configure: "redact" | "disable" | "none") {
  const dir = scratchApp();
  const { out, db } = await runNode<{ answer: string }>(
    dir,
    ["--import", "@tracewright/openai/register", appScript(dir, "register-then-configure.cjs")],
    { OPENAI_BASE_URL: `${server.url}/v1`, CHAT_PARAMS: JSON.stringify(recording.body), CONFIGURE: configure },
  );
  expect(out.answer).toBe("Atlantic Ocean.");
  return tracesIn(db);
}

describe("a CommonJS app with the register hook and autolog in code", () => {
  it("is traced by the register hook alone", async () => {
    const traces = await runConfigured("none");
    expect(traces.map((t) => t.data.spans.map((s) => s.name))).toEqual([["Completions"]]);
    expect(traces[0]!.toJson()).toContain("Bouvet");
  });

  it("applies the redact option given in code", async () => {
    const traces = await runConfigured("redact");
    expect(traces).toHaveLength(1);
    const json = traces[0]!.toJson();
    expect(json).not.toContain("Bouvet");
    expect(json).toContain("[redacted]");
  });

  it("records nothing after autolog({ disable: true }) in code", async () => {
    expect(await runConfigured("disable")).toHaveLength(0);
  });
});
