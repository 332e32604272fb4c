import { packageBuild } from '../../tsup.shared.js';

// shims: the CommonJS build needs import.meta.url to find native/build/blas_matmul.node.
export default packageBuild({ shims: true });
