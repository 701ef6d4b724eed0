/**
 * The benchmark's clock: the CPU time of this process, not the wall clock. The machines the
 * benchmark runs on are shared, and another process's load lengthens wall-clock intervals but not
 * our CPU time. bench/python/ times with time.process_time_ns(), the same clock on CPython's side.
 *
 * process.cpuUsage() counts user + system time of all the process's threads in microseconds, so
 * a timed region has to last well over a millisecond to be measured to 0.1 % (the children's
 * rounds do; report.ts flags any that did not). V8's helper threads (parallel scavenging,
 * concurrent marking and sweeping) are counted while they run, as the main thread's own
 * scavenges during a timed build are.
 */

/** CPU time used by this process so far (user + system), in nanoseconds, microsecond resolution. */
export function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** The clock's resolution in nanoseconds. */
export const CPU_CLOCK_RESOLUTION_NS = 1000;
