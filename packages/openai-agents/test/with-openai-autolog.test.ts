/**
 * `agents.autolog()` and `@tracewright/openai`'s autolog both on: each `responses.create` the SDK
 * makes has one owner, the agent's Response span, whatever other trace processors run before
 * ours (the SDK's own exporter, a slow one of the user's) and with many runs in flight.
 */
import {
  Agent,
  BatchTraceProcessor,
  run,
  setDefaultOpenAIClient,
  setDefaultOpenAITracingExporter,
  setTraceProcessors,
  setTracingDisabled,
  type TracingExporter,
  type TracingProcessor,
} from "@openai/agents";
import { SpanAttributeKey, type Trace, trace } from "@tracewright/core";
import * as tracedOpenAI from "@tracewright/openai";
import { nock, readRecordingText, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import OpenAI, * as openaiModule from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as agents from "../src/index.js";
import { OPENAI_KEY } from "./helpers.js";

const WEATHER_ANSWER = JSON.parse(readRecordingText("handwritten-responses-weather-answer.json")) as Record<
  string,
  unknown
>;
const ANSWER_USAGE = { input_tokens: 164, output_tokens: 17, total_tokens: 181 };

const EXPECTED_TREE = [
  "handle_request (UNKNOWN) OK",
  "  Agent workflow (CHAIN) OK",
  "    Plain agent (AGENT) OK",
  "      turn 1: Plain agent (CHAIN) OK",
  "        Response (CHAT_MODEL) OK",
  "          Responses (CHAT_MODEL) OK",
];

/** Serves the recorded weather answer `times` times, echoing the request's input in its text so each run's reply is its own. */
function serveAnswers(times: number): void {
  nock("https://api.openai.com")
    .post("/v1/responses")
    .times(times)
    // nock 15 hands a reply function the fetch Request
    .reply(
      200,
      async (request: Request) => {
        const input = ((await request.json()) as { input?: Array<{ content?: unknown }> }).input;
        const asked = typeof input?.[0]?.content === "string" ? input[0].content : "?";
        const reply = structuredClone(WEATHER_ANSWER) as { output: Array<{ content: Array<{ text: string }> }> };
        reply.output[0]!.content[0]!.text = `answer to ${asked}`;
        return JSON.stringify(reply);
      },
      { "content-type": "application/json" },
    );
}

/** The weather answer as a Responses API event stream (hand-written from the JSON body): created, one text delta, completed. */
function answerStream(text: string): string {
  const response = structuredClone(WEATHER_ANSWER) as { output: Array<{ content: Array<{ text: string }> }> };
  response.output[0]!.content[0]!.text = text;
  const events = [
    { type: "response.created", response: { ...response, status: "in_progress", output: [], usage: null } },
    {
      type: "response.output_text.delta",
      item_id: "msg_handwritten_5",
      output_index: 0,
      content_index: 0,
      delta: text,
    },
    { type: "response.completed", response },
  ];
  return events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join("");
}

/** An exporter that keeps what the SDK's batch processor hands it, instead of sending it to OpenAI. */
class KeepingExporter implements TracingExporter {
  readonly items: unknown[] = [];
  async export(items: unknown[]): Promise<void> {
    this.items.push(...items);
  }
}

/** A user's processor that takes its time on every event (a network exporter, say). */
class SlowProcessor implements TracingProcessor {
  private readonly wait = () => new Promise<void>((resolve) => setTimeout(resolve, 15));
  async onTraceStart(): Promise<void> {}
  async onTraceEnd(): Promise<void> {}
  async onSpanStart(): Promise<void> {
    await this.wait();
  }
  async onSpanEnd(): Promise<void> {
    await this.wait();
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

/** Our processor, as `agents.autolog()` registered it (once, in beforeAll). */
const ours = () => agents.autologProcessor() as TracingProcessor;

/** A user's processor that fails on every span event (the SDK then skips the processors after it). */
class FailingProcessor extends SlowProcessor {
  override async onSpanStart(): Promise<void> {
    throw new Error("exporter down");
  }
  override async onSpanEnd(): Promise<void> {
    throw new Error("exporter down");
  }
}

const askOnce = (question: string) =>
  trace(async () => run(new Agent({ name: "Plain agent", instructions: "Answer." }), question), {
    name: "handle_request",
  })();

/** The question a stored trace's SDK call asked and the text it got back. */
function exchangeOf(t: Trace): { asked: unknown; answered: unknown } {
  const sdkCall = t.data.spans.find((s) => s.name === "Responses")!;
  const inputs = sdkCall.inputs as { input?: Array<{ content?: unknown }> };
  const outputs = sdkCall.outputs as { output?: Array<{ content?: Array<{ text?: string }> }> };
  return {
    asked: inputs.input?.[0]?.content,
    answered: outputs.output?.[0]?.content?.[0]?.text,
  };
}

describe("agents.autolog() with openai.autolog()", () => {
  const store = useRecordedHttpStore();
  beforeAll(async () => {
    setTracingDisabled(false); // the SDK turns tracing off under NODE_ENV=test
    setDefaultOpenAIClient(new OpenAI({ apiKey: OPENAI_KEY, maxRetries: 0 }));
    await tracedOpenAI.autolog();
    tracedOpenAI.instrumentOpenAIModule(openaiModule);
    await agents.autolog();
  });
  afterAll(async () => {
    await tracedOpenAI.autolog({ disable: true });
  });

  const processorSetups: Array<[string, () => void]> = [
    [
      "the SDK's default OpenAI exporter installed after autolog() (what loading @openai/agents does)",
      () => setDefaultOpenAITracingExporter(),
    ],
    [
      "the SDK's batch exporter processor registered first (the default of @openai/agents)",
      () => setTraceProcessors([new BatchTraceProcessor(new KeepingExporter()), ours()]),
    ],
    ["a slow processor of the user's registered first", () => setTraceProcessors([new SlowProcessor(), ours()])],
    ["a failing processor of the user's registered first", () => setTraceProcessors([new FailingProcessor(), ours()])],
    ["ours first, a slow one after", () => setTraceProcessors([ours(), new SlowProcessor()])],
    [
      "only a processor of ours registered by hand (the README's Tracewright-only setup)",
      () => setTraceProcessors([new agents.TracewrightAgentsProcessor()]),
    ],
  ];

  for (const [setup, register] of processorSetups) {
    it(`nests the SDK call under the Response span, usage counted once, with ${setup}`, async () => {
      register();
      serveAnswers(1);
      const result = await askOnce("Weather in Paris?");
      expect(result.finalOutput).toBe("answer to Weather in Paris?");

      const traces = await storedTraces(store());
      expect(traces.map(spanTree)).toEqual([EXPECTED_TREE]);
      // the agent's Response span and the SDK call both report the call's usage, nested: counted once
      const response = traces[0]!.data.spans.find((s) => s.name === "Response")!;
      expect(response.attributes[SpanAttributeKey.CHAT_USAGE]).toEqual(ANSWER_USAGE);
      expect(traces[0]!.info.tokenUsage).toEqual(ANSWER_USAGE);
    });
  }

  it("nests the SDK call of a streamed run under its Response span, the SDK's batch exporter registered first", async () => {
    setTraceProcessors([new BatchTraceProcessor(new KeepingExporter()), ours()]);
    nock("https://api.openai.com")
      .post("/v1/responses")
      .reply(200, answerStream("Sunny in Paris."), { "content-type": "text/event-stream" });
    const answer = await trace(
      async () => {
        const result = await run(new Agent({ name: "Plain agent", instructions: "Answer." }), "Weather in Paris?", {
          stream: true,
        });
        for await (const _ of result.toTextStream());
        await result.completed;
        return result.finalOutput;
      },
      { name: "handle_request" },
    )();
    expect(answer).toBe("Sunny in Paris.");

    const traces = await storedTraces(store());
    expect(traces.map(spanTree)).toEqual([EXPECTED_TREE]);
    expect(traces[0]!.info.tokenUsage).toEqual(ANSWER_USAGE);
  });

  it("keeps 20 concurrent runs apart: each trace holds its own run's spans and SDK call, nothing orphaned", async () => {
    setTraceProcessors([new BatchTraceProcessor(new KeepingExporter()), new SlowProcessor(), ours()]);
    const questions = Array.from({ length: 20 }, (_, i) => `Weather in city #${i}?`);
    serveAnswers(questions.length);
    const results = await Promise.all(questions.map(askOnce));
    expect(results.map((r) => r.finalOutput)).toEqual(questions.map((q) => `answer to ${q}`));

    const traces = await storedTraces(store());
    expect(traces).toHaveLength(questions.length);
    for (const t of traces) {
      expect(spanTree(t)).toEqual(EXPECTED_TREE);
      expect(t.info.tokenUsage).toEqual(ANSWER_USAGE);
      const { asked, answered } = exchangeOf(t);
      expect(answered).toBe(`answer to ${String(asked)}`);
      // the agent's own Response span saw the same question the SDK call sent
      const response = t.data.spans.find((s) => s.name === "Response")!;
      expect(JSON.stringify(response.inputs)).toContain(JSON.stringify(asked));
    }
    expect(new Set(traces.map((t) => exchangeOf(t).asked))).toEqual(new Set(questions));
  });
});
