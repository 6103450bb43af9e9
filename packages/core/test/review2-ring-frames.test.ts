/**
 * Review of the frame layout (5e5728a): numbers after the strings, and frames of no strings
 * (a batch that travels as a message) among them, read back by the exit path's `uncommitted()`
 * (the app's thread) across the ring's wraps, and by the writer thread's header-only read.
 */
import { describe, expect, it } from "vitest";
import { Control, RingWriter, readRingFrame } from "../src/store/sqlite/handoff-ring.js";

describe("frames of no strings among numbered frames", () => {
  it("read back by uncommitted() and by a header-only read, across wraps, with the room never overrun", () => {
    const ring = new RingWriter(512);
    const words = new Int32Array(ring.data.buffer);
    let seq = 0;
    let tail = 0;
    for (let round = 0; round < 2000; round++) {
      const sent: Array<{ seq: number; strings: string[]; nums: number[] }> = [];
      // a few frames, every third one a message's place (no strings, no numbers)
      for (let k = 0; k < 3; k++) {
        const place = (round + k) % 3 === 0;
        const strings = place ? [] : ["é".repeat((round * 13 + k) % 90), `${round}`];
        const nums = place ? [] : [round, -1, 2 ** 31 - 1, -(2 ** 31), k].slice(0, (round + k) % 6);
        const r = ring.tryWrite(seq + 1, strings, nums);
        if (r !== "written") break;
        seq++;
        sent.push({ seq, strings, nums });
      }
      const got = ring.uncommitted().map((f) => ({ seq: f.seq, strings: f.strings, nums: [...f.nums] }));
      expect(got).toEqual(sent);
      // the writer thread's read: headers only, and where each frame ends
      let at = tail;
      let freed = 0;
      for (const s of sent) {
        const f = readRingFrame(ring.data, words, at, false);
        expect(f.seq).toBe(s.seq);
        expect(f.count).toBe(s.strings.length);
        freed += f.bytes;
        at = f.next;
      }
      expect(at).toBe(Atomics.load(ring.control, Control.HEAD));
      expect(freed).toBe(Atomics.load(ring.control, Control.USED));
      Atomics.store(ring.control, Control.TAIL, at);
      Atomics.sub(ring.control, Control.USED, freed);
      if (sent.length > 0) Atomics.store(ring.control, Control.PROGRESS, seq);
      tail = at;
    }
    expect(seq).toBeGreaterThan(4000);
  });
});
