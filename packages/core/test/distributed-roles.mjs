/**
 * The two sides of a distributed trace, shared by the test process (core's sources) and the child
 * processes (core's build): `tw` is whichever copy of core the process runs.
 */
import { createServer } from "node:http";

/**
 * A tool service on 127.0.0.1: each request runs in the caller's trace context. `GET /exit`
 * flushes the traces and calls `onExit`.
 */
export async function startToolService(tw, onExit = () => undefined) {
  const server = createServer((req, res) => {
    if (req.url === "/exit") {
      void tw.flushTraces().then(() => {
        res.end("bye");
        onExit();
      });
      return;
    }
    tw.withTracingContextFromHeaders(req.headers, () =>
      tw.withSpan({ name: "tool-service", spanType: "TOOL", inputs: { path: req.url } }, async () => {
        await tw.withSpan({ name: "tool-step", spanType: "CHAT_MODEL" }, async (step) => {
          step.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 3, output_tokens: 2, total_tokens: 5 });
          await new Promise((resolve) => setTimeout(resolve, 5));
        });
        res.end(JSON.stringify({ tool: "done" }));
        return { tool: "done" };
      }),
    );
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** The agent: plans, then calls the tool service with the trace context headers. Returns the trace id. */
export async function callTool(tw, url) {
  return tw.withSpan(
    { name: "agent", spanType: "AGENT", inputs: { question: "what does the tool say?" } },
    async (agent) => {
      await tw.withSpan({ name: "plan", spanType: "CHAT_MODEL" }, (span) => {
        span.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 1, output_tokens: 1, total_tokens: 2 });
      });
      await tw.withSpan({ name: "call-tool", spanType: "TOOL" }, async () => {
        const res = await fetch(`${url}/tool`, {
          method: "POST",
          headers: tw.getTracingContextHeadersForHttpRequest(),
        });
        return res.json();
      });
      agent.setOutputs({ answer: "the tool is done" });
      return agent.traceId;
    },
  );
}
