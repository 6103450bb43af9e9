// Shared by the overhead benches: interleaved warm rounds of a baseline and a traced block,
// compared by their medians, so that drift (JIT, GC, a busy machine) hits both alike.

/** The median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs `block(false)` (baseline) and `block(true)` (traced) once each to warm up, then `rounds`
 * times interleaved; each returns its cost per unit in µs. Returns the two medians.
 */
export async function compareInterleaved(block, rounds = 7) {
  await block(false);
  await block(true);
  const plain = [];
  const traced = [];
  for (let r = 0; r < rounds; r++) {
    plain.push(await block(false));
    traced.push(await block(true));
  }
  return { plain: median(plain), traced: median(traced), added: median(traced) - median(plain) };
}
