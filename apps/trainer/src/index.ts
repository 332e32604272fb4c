export {
  type ActiveBackend,
  BACKEND_NAMES,
  BACKEND_PACKAGES,
  type BackendChoice,
  type BackendEnvironment,
  type BackendName,
  type BackendProbe,
  BackendUnavailableError,
  isBackendChoice,
  nodeEnvironment,
  pickAutoBackend,
  probeBackend,
  probeBackends,
  resolveBackend,
  setupBackend,
} from './backends.js';
export { backendsReport } from './commands/backends.js';
export { buildProgram, type GlobalOptions } from './program.js';
