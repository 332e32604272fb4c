import {
  type BackendEnvironment,
  nodeEnvironment,
  pickAutoBackend,
  probeBackends,
} from '../backends.js';

/** The `sparsify backends` report: every backend, whether it is usable, and auto's pick. */
export function backendsReport(env: BackendEnvironment = nodeEnvironment): string {
  const probes = probeBackends(env);
  const auto = pickAutoBackend(probes);
  const nameWidth = Math.max(...probes.map((probe) => probe.name.length));
  const packageWidth = Math.max(...probes.map((probe) => probe.packageName.length));
  const lines = probes.map((probe) => {
    const mark = probe.usable ? 'yes' : 'no ';
    const pick = probe.name === auto ? '  <- auto' : '';
    return `${probe.name.padEnd(nameWidth)}  ${probe.packageName.padEnd(packageWidth)}  ${mark}  ${probe.detail}${pick}`;
  });
  return [
    `backend${' '.repeat(nameWidth - 7)}  package${' '.repeat(packageWidth - 7)}  ok   detail`,
    ...lines,
    `auto picks: ${auto}`,
  ].join('\n');
}
