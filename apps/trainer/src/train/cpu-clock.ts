/**
 * CPU seconds this process spent (user + system, all threads) since `began`, a reading of
 * `process.cpuUsage()`. Wall seconds on a shared machine depend on the other jobs' load; for a
 * single-threaded run (wasm, OPENBLAS_NUM_THREADS=1) CPU seconds measure the run's own work.
 */
export function cpuSecondsSince(began: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(began);
  return (used.user + used.system) / 1e6;
}
