/**
 * The configuration layer: a change of destination makes the active named experiment be looked
 * up again in the new destination (which numbers experiments its own way), also when the
 * destination is changed through another copy of core.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  flushTraces,
  InMemoryTraceStore,
  setExperiment,
  setTraceDestinations,
  setTraceStore,
  setTrackingUri,
  trace,
} from "../src/index.js";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));

afterEach(async () => {
  await flushTraces();
  setTraceStore(null);
});

/** A store where experiment `name` gets a different id than in a fresh store. */
function storeNumberingDifferently(): InMemoryTraceStore {
  const store = new InMemoryTraceStore();
  store.createExperiment("taken-1");
  store.createExperiment("taken-2");
  return store;
}

describe("changing the destination", () => {
  it("looks the active named experiment up again in the new store (setTraceStore, setTraceDestinations)", async () => {
    const first = new InMemoryTraceStore();
    setTraceStore(first);
    const inFirst = await setExperiment("shared-name");

    const second = storeNumberingDifferently();
    setTraceStore(second);
    trace(function one() {})();
    await flushTraces();
    const inSecond = second.getExperimentByName("shared-name");
    expect(inSecond).not.toBeNull();
    expect(inSecond!.experimentId).not.toBe(inFirst.experimentId);
    expect(second.allTraces().map((t) => t.info.experimentId)).toEqual([inSecond!.experimentId]);

    const third = storeNumberingDifferently();
    third.createExperiment("taken-3");
    setTraceDestinations([third]);
    trace(function two() {})();
    await flushTraces();
    const inThird = third.getExperimentByName("shared-name")!;
    expect(inThird.experimentId).not.toBe(inSecond!.experimentId);
    expect(third.allTraces().map((t) => t.info.experimentId)).toEqual([inThird.experimentId]);
  });

  it("keeps an experiment chosen by id (no name to look up again)", async () => {
    const first = storeNumberingDifferently();
    setTraceStore(first);
    await setExperiment({
      experimentId: (first.getExperimentByName("taken-2") as { experimentId: string }).experimentId,
    });
    const second = new InMemoryTraceStore();
    setTrackingUri("memory:");
    setTraceStore(second);
    trace(function one() {})();
    await flushTraces();
    expect(second.allTraces().map((t) => t.info.experimentId)).toEqual(["2"]);
  });

  it("resets the experiment for every copy of core when one copy changes the destination", () => {
    const app = `
const cjs = require("@tracewright/core");
(async () => {
  const esm = await import("@tracewright/core");
  const first = new cjs.InMemoryTraceStore();
  cjs.setTraceStore(first);
  await cjs.setExperiment("shared-name");
  const second = new esm.InMemoryTraceStore();
  second.createExperiment("taken-1");
  second.createExperiment("taken-2");
  esm.setTraceStore(second); // through the other copy
  cjs.trace(function one() {})();
  await cjs.flushTraces();
  console.log(JSON.stringify({
    inFirst: first.getExperimentByName("shared-name").experimentId,
    inSecond: second.getExperimentByName("shared-name")?.experimentId,
    stamped: second.allTraces().map((t) => t.info.experimentId),
  }));
})().catch((e) => { console.error(e); process.exit(1); });`;
    const out = JSON.parse(execFileSync(process.execPath, ["-e", app], { cwd: pkgDir, encoding: "utf8" }));
    expect(out.inSecond).toBeDefined();
    expect(out.inSecond).not.toBe(out.inFirst);
    expect(out.stamped).toEqual([out.inSecond]);
  });
});
