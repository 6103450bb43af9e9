/**
 * `autolog()` reaches invocations made from async contexts that existed before it was called:
 * after an `await` in an init function, or in a server created before it.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { RunnableLambda } from "@langchain/core/runnables";
import { nock, spanTree, storedTraces } from "@tracewright/testing";
import { useRecordedHttpStore } from "@tracewright/testing/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { autolog } from "../src/index.js";

const store = useRecordedHttpStore();
afterEach(() => {
  autolog({ disable: true });
});

const chain = () =>
  RunnableLambda.from(async (x: number) => x + 1)
    .withConfig({ runName: "inc" })
    .pipe(RunnableLambda.from((x: number) => x * 2).withConfig({ runName: "double" }));

const CHAIN_TREE = ["RunnableSequence (CHAIN) OK", "  inc (CHAIN) OK", "  double (CHAIN) OK"];

describe("autolog() called late", () => {
  it("traces invocations after autolog() ran behind an await in an init function", async () => {
    async function init(): Promise<void> {
      await new Promise((r) => setTimeout(r, 1));
      autolog();
    }
    await init();
    expect(await chain().invoke(1)).toBe(4);
    expect((await storedTraces(store())).map(spanTree)).toEqual([CHAIN_TREE]);
  });

  it("traces the requests of an http server created before autolog()", async () => {
    const server = createServer((_req, res) => {
      chain()
        .invoke(1)
        .then((out) => res.end(String(out)));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    nock.enableNetConnect("127.0.0.1");
    try {
      autolog();
      const { port } = server.address() as AddressInfo;
      const bodies = await Promise.all(
        Array.from({ length: 5 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())),
      );
      expect(bodies).toEqual(["4", "4", "4", "4", "4"]);
      expect((await storedTraces(store())).map(spanTree)).toEqual(Array.from({ length: 5 }, () => CHAIN_TREE));
    } finally {
      nock.disableNetConnect();
      server.close();
    }
  });
});
