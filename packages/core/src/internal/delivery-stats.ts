import { processSingleton } from "./process-state.js";

/**
 * Counters of the reliable delivery to remote destinations, reported by getExportStats(); shared
 * by every copy of core in the process.
 */
export const deliveryStats = processSingleton("delivery-stats", () => ({
  /** Traces a remote destination accepted. */
  sent: 0,
  /** Failed delivery attempts that will be retried. */
  retried: 0,
  /** Traces written to the on-disk spool. */
  spooled: 0,
  /** Traces given up on: the spool was full, or the destination refused them (4xx). */
  dropped: 0,
  /** Unreadable spool files (or unreadable traces within one) moved aside to the spool's quarantine/. */
  quarantined: 0,
  /**
   * Traces dropped because a store's hand-off to its writer thread was full (the app produced
   * faster than the disk took them). Also counted in `dropped`.
   */
  overflowed: 0,
}));
