const origin = performance.timeOrigin;

/** Wall-clock time in nanoseconds since the epoch (sub-microsecond precision is lost to floats). */
export const nowNs = (): number => Math.round((origin + performance.now()) * 1e6);

export const nsToMs = (ns: number): number => Math.floor(ns / 1e6);
