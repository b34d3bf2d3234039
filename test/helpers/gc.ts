// Counts V8's major (mark-compact) garbage collections, for the tests and benchmarks that check
// native memory does not make V8 collect for memory that is already gone.
import { constants, PerformanceObserver } from 'node:perf_hooks';

/**
 * Starts counting major GCs; `stop()` ends the count and returns it. GC entries arrive
 * asynchronously: let the event loop turn (an await) before stopping to count the last ones.
 */
export function countMajorGcs(): { stop(): number } {
  let major = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
        major++;
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      obs.disconnect();
      return major;
    },
  };
}
