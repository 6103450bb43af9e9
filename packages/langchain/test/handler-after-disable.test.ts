/**
 * A handler made by hand keeps the hooks it needs (a model's calls in its run's context) after
 * autolog({ disable: true }) restored LangChain's methods. Its own file: a handler made earlier in
 * the process would have hooked LangChain before autolog did.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { trace } from "@tracewright/core";
import { spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { describe, expect, it } from "vitest";
import { autolog, TracewrightCallbackHandler } from "../src/index.js";

const store = useRecordedHttpStore();

describe("a handler made by hand", () => {
  it("keeps its hooks after autolog({ disable: true }): a model's SDK call still nests under the model's run", async () => {
    /** A model whose `_generate` makes a traced call, as an SDK call under @tracewright/openai would be. */
    class ModelWithSdkCall extends FakeListChatModel {
      override async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]) {
        await trace(async function sdkCall() {
          return "ok";
        })();
        return super._generate(messages, options);
      }
    }
    await autolog(); // wraps LangChain's methods first, restorably
    const handler = new TracewrightCallbackHandler();
    await autolog({ disable: true });
    await new ModelWithSdkCall({ responses: ["fine"] }).invoke("hi", { callbacks: [handler] });
    expect((await storedTraces(store())).map(spanTree)).toEqual([
      ["ModelWithSdkCall (CHAT_MODEL) OK", "  sdkCall (UNKNOWN) OK"],
    ]);
  });
});
