/**
 * The bounded hand-off between the app's thread and the embedded store's writer thread: a ring of
 * shared memory that the app's thread writes serialised batches into and the writer thread reads.
 *
 * Why shared memory and not a message per batch: a message is a structured clone (CPU on the
 * app's thread), and the app's thread had to keep each batch's strings alive until the writer
 * committed them (about a commit interval), so that an exit or a writer that died could write
 * them itself: those strings outlived the young generation and cost the app's thread garbage
 * collection. In the ring, a batch is a copy of its UTF-8 bytes, outside the JS heap; the
 * strings die at once, and what the writer has not committed is still there, readable by the
 * app's thread at exit. The ring's size is the hand-off's bound.
 *
 * Layout: control words (an `Int32Array` over their own `SharedArrayBuffer`, see {@link Control})
 * and the data ring. A frame starts on a 4-byte boundary: `[byteLength, seq, count, units_1 …
 * units_count, utf8Bytes]` as 32-bit words (`units_i`: the i-th string's length in UTF-16 units;
 * `utf8Bytes`: of all the strings), then the strings' UTF-8 bytes back to back, padded to 4, then
 * the frame's numbers: `[n, number_1 … number_n]`, 32-bit integers as they are (formatting them
 * as decimal text and parsing it back was half of the packing's time, bench:core). A word of
 * {@link WRAP} where a frame would start says "continue at offset 0". A frame of no strings holds
 * the place of a batch too large for the ring, which travels as a message instead.
 */

/** Indexes of the control words. */
export const Control = {
  /** The sequence number of the last batch committed or given up on (see writer-thread.ts). */
  PROGRESS: 0,
  /** Where the app's thread writes the next frame (byte offset). Written by the app's thread only. */
  HEAD: 1,
  /** Where the first frame not yet committed starts. Written by the writer thread only. */
  TAIL: 2,
  /** Bytes taken (frames not yet committed, and the wasted ends of the ring before a wrap). */
  USED: 3,
  /** 1 while the writer thread waits for a frame (the app's thread then wakes it). */
  SLEEPING: 4,
} as const;
export const CONTROL_WORDS = 5;

/** The frame-start word that sends a reader back to offset 0. */
export const WRAP = -1;

/** One frame as read back: its batch's strings, and where the next frame starts. */
export interface RingFrame {
  seq: number;
  /** How many strings the frame holds (0: the place of a batch that travels as a message). */
  count: number;
  /** Its strings; empty when read with `decode` false. */
  strings: string[];
  /** Its numbers (a copy); empty when read with `decode` false. */
  nums: Int32Array;
  /** Bytes this frame takes in the ring, the wasted end before it included. */
  bytes: number;
  next: number;
}

/**
 * Reads the frame at byte offset `at` of `data` (a Buffer over the ring), following a wrap; with
 * `decode` false only its header (where it ends, its size, its sequence number), its strings
 * left for a later read. The caller knows a frame is there (`at` is not the head). Used by both
 * threads: it is sent to the writer thread as source text, so it references nothing outside its
 * own body.
 */
export function readRingFrame(data: Buffer, words: Int32Array, at: number, decode = true): RingFrame {
  let start = at;
  let wasted = 0;
  if (start === data.length || words[start >> 2] === -1) {
    wasted = data.length - start;
    start = 0;
  }
  const total = words[start >> 2] as number;
  const seq = words[(start >> 2) + 1] as number;
  const count = words[(start >> 2) + 2] as number;
  const end = start + total;
  const next = end === data.length ? 0 : end;
  if (!decode) return { seq, count, strings: [], nums: new Int32Array(0), bytes: wasted + total, next };
  const strings: string[] = new Array(count);
  // one decoding for the whole frame, then cut by each string's length in UTF-16 units (a
  // decoding per string costs more than the copy for the many short ones)
  const first = start + 16 + 4 * count;
  const utf8Bytes = words[(start >> 2) + 3 + count] as number;
  const text = data.toString("utf8", first, first + utf8Bytes);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const units = words[(start >> 2) + 3 + i] as number;
    strings[i] = text.slice(pos, pos + units);
    pos += units;
  }
  // (a frame that holds a message's place has no numbers either: its header ends it)
  const numbersAt = ((first + utf8Bytes + 3) & ~3) >> 2;
  const nums =
    numbersAt < end >> 2 ? words.slice(numbersAt + 1, numbersAt + 1 + (words[numbersAt] as number)) : new Int32Array(0);
  return { seq, count, strings, nums, bytes: wasted + total, next };
}

const utf8 = new TextEncoder();

/** The app thread's end of the ring. */
export class RingWriter {
  readonly control: Int32Array;
  readonly data: Buffer;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  /** Where the next frame goes (the app's thread is the only writer of frames). */
  private head = 0;

  constructor(capacity: number) {
    // whole words: frames and the wrap marker are word-aligned
    const bytes = Math.max(64, Math.ceil(capacity / 4) * 4);
    const ring = new SharedArrayBuffer(bytes);
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    this.data = Buffer.from(ring);
    this.bytes = new Uint8Array(ring);
    this.words = new Int32Array(ring);
  }

  /**
   * Writes one batch's strings as a frame and publishes it. `"full"`: no room now (the writer
   * thread is behind); `"too-large"`: it could never go (larger than the whole ring, or larger
   * than either side of the head of an empty ring).
   *
   * Where there is room for the worst case (3 UTF-8 bytes per UTF-16 unit), the strings are
   * written straight away and measured by the write itself; only near a full ring are they
   * measured first (`Buffer.byteLength`, a second pass).
   */
  tryWrite(seq: number, strings: readonly string[], nums: ArrayLike<number> = []): "written" | "full" | "too-large" {
    const count = strings.length;
    // the header, and the numbers after the strings (none in a frame that holds a message's place)
    const header = 16 + 4 * count + (count === 0 ? 0 : 4 + 4 * nums.length);
    // one string, one encoding call: a call per string costs more than joining them (a copy)
    const text = count === 1 ? (strings[0] as string) : strings.join("");
    const worst = (header + 3 * text.length + 3) & ~3;
    const capacity = this.data.length;
    // never quite full: a head that meets the tail means an empty ring
    const used = Atomics.load(this.control, Control.USED);
    const free = capacity - used - 4;
    let at = this.head;
    let wasted = 0;
    if (at + worst > capacity) {
      wasted = capacity - at;
      at = 0;
    }
    if (wasted + worst <= free) return this.put(seq, strings, nums, text, at, wasted);
    // no room for the worst case: the exact size decides
    const total = (header + Buffer.byteLength(text, "utf8") + 3) & ~3;
    if (total >= capacity - 4) return "too-large";
    at = this.head;
    wasted = 0;
    if (at + total > capacity) {
      wasted = capacity - at;
      at = 0;
    }
    // An empty ring that still cannot take it never will: the frame fits neither between the
    // head and the end nor before the head (where the wrap marker must stay readable), and with
    // nothing left to commit the head does not move. Answered "full", it was refused for ever.
    if (wasted + total > free) return used === 0 ? "too-large" : "full";
    return this.put(seq, strings, nums, text, at, wasted);
  }

  /** Writes the frame at `at` (room checked), and publishes it. */
  private put(
    seq: number,
    strings: readonly string[],
    nums: ArrayLike<number>,
    text: string,
    at: number,
    wasted: number,
  ): "written" {
    if (wasted > 0) this.words[this.head >> 2] = WRAP;
    const w = at >> 2;
    const count = strings.length;
    for (let i = 0; i < count; i++) this.words[w + 3 + i] = (strings[i] as string).length;
    const first = at + 16 + 4 * count;
    // (TextEncoder's is the fastest UTF-8 encoder Node has, and writes into shared memory)
    const bytes = text.length > 0 ? utf8.encodeInto(text, this.bytes.subarray(first)).written : 0;
    this.words[w + 3 + count] = bytes;
    let total = (16 + 4 * count + bytes + 3) & ~3;
    if (count > 0) {
      const numbersAt = (at + total) >> 2;
      this.words[numbersAt] = nums.length;
      this.words.set(nums, numbersAt + 1);
      total += 4 + 4 * nums.length;
    }
    this.words[w] = total;
    this.words[w + 1] = seq;
    this.words[w + 2] = count;
    const end = at + total;
    this.head = end === this.data.length ? 0 : end;
    Atomics.add(this.control, Control.USED, wasted + total);
    // published last: the writer thread reads frames up to the head it loads
    Atomics.store(this.control, Control.HEAD, this.head);
    return "written";
  }

  /** Wakes the writer thread if it waits for frames. */
  wake(): void {
    if (Atomics.load(this.control, Control.SLEEPING) === 1) Atomics.notify(this.control, Control.HEAD);
  }

  /** The frames written and not yet committed by the writer thread, oldest first. */
  uncommitted(): RingFrame[] {
    const frames: RingFrame[] = [];
    const done = Atomics.load(this.control, Control.PROGRESS);
    for (let at = Atomics.load(this.control, Control.TAIL); at !== this.head; ) {
      const f = readRingFrame(this.data, this.words, at);
      if (f.seq > done) frames.push(f);
      at = f.next;
    }
    return frames;
  }

  /** True when no frame is waiting for the writer thread. */
  get empty(): boolean {
    return Atomics.load(this.control, Control.USED) === 0;
  }

  /** Bytes free for frames now. */
  freeBytes(): number {
    return this.data.length - Atomics.load(this.control, Control.USED) - 4;
  }

  /** True when the ring is more than `fraction` full. */
  fullerThan(fraction: number): boolean {
    return Atomics.load(this.control, Control.USED) > this.data.length * fraction;
  }
}
