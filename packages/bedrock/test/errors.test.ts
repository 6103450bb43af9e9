/**
 * Failed calls: the service's ThrottlingException (429) and ValidationException (400), in
 * Bedrock's documented error format (hand-written: no recording has one), and a throttling
 * exception sent mid-stream. The user gets the SDK's own error object, unchanged; the span
 * records it (status ERROR, the exception event, the HTTP status) and ends.
 */
import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";
import { jsonReply, readEventsRecording } from "./bedrock-wire.js";
import { modelPath } from "./fake-bedrock.js";
import { onlyTrace, replayStream, setupBedrockTest } from "./helpers.js";

const { store, bedrock, client } = setupBedrockTest();

const MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const converse = () =>
  new ConverseCommand({ modelId: MODEL, messages: [{ role: "user", content: [{ text: "Hello" }] }] });

async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error("the call did not fail");
}

/** The error's visible shape, to compare a traced failure with an untraced one. */
const shape = (e: unknown) => {
  const err = e as Error & { $metadata: Record<string, unknown> };
  return {
    proto: Object.getPrototypeOf(err),
    name: err.name,
    message: err.message,
    keys: Object.keys(err).sort(),
    status: err.$metadata.httpStatusCode,
  };
};

describe("errors", () => {
  it.each([
    ["handwritten-bedrock-error-throttling.json", ThrottlingException, 429],
    ["handwritten-bedrock-error-validation.json", ValidationException, 400],
  ])("rethrows %s unchanged and records it on the span", async (recording, ErrorClass, status) => {
    bedrock().once(modelPath(MODEL, "converse"), jsonReply(recording));
    const error = await failure(() => client().send(converse()));
    expect(error).toBeInstanceOf(ErrorClass);

    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("BedrockRuntime.converse");
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.getAttribute("http.response.status_code")).toBe(status);
    const exception = span.events.find((e) => e.name === "exception")!;
    expect(exception.attributes["exception.type"]).toBe(ErrorClass.name);
    expect(exception.attributes["exception.message"]).toBe((error as Error).message);

    await autolog({ disable: true });
    let plain: unknown;
    try {
      bedrock().once(modelPath(MODEL, "converse"), jsonReply(recording));
      plain = await failure(() => client().send(converse()));
    } finally {
      await autolog();
    }
    expect(shape(error)).toEqual(shape(plain));
  });

  it("records an InvokeModel ValidationException", async () => {
    bedrock().once(
      modelPath("amazon.titan-text-express-v1", "invoke"),
      jsonReply("handwritten-bedrock-error-validation.json"),
    );
    const error = await failure(() =>
      client().send(
        new InvokeModelCommand({ modelId: "amazon.titan-text-express-v1", body: JSON.stringify({ inputText: "hi" }) }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationException);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.name).toBe("BedrockRuntime.invoke_model");
    expect(span.status.statusCode).toBe("ERROR");
  });

  it("records an exception sent in the middle of a ConverseStream and rethrows it to the reader", async () => {
    const events = readEventsRecording("handwritten-bedrock-converse-stream-tool-use.events.json").slice(0, 2);
    replayStream(bedrock(), MODEL, "converse-stream", [
      ...events,
      {
        event: "throttlingException",
        messageType: "exception",
        payload: { message: "Too many tokens, please wait before trying again." },
      },
    ]);
    const output = await client().send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: "user", content: [{ text: "Hello" }] }] }),
    );
    const seen: unknown[] = [];
    const error = await failure(async () => {
      for await (const e of output.stream!) seen.push(e);
    });
    expect(seen).toHaveLength(2);
    expect(error).toBeInstanceOf(ThrottlingException);
    const span = (await onlyTrace(store())).data.spans[0]!;
    expect(span.status.statusCode).toBe("ERROR");
    expect(span.events.map((e) => e.name)).toEqual(["first_chunk", "exception"]);
    expect(span.outputs).toMatchObject({ output: { message: { content: [{ text: "I'll check" }] } } });
  });
});
