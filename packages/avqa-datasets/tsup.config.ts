import { packageBuild } from '../../tsup.shared.js';

// prepareDataset starts worker threads from a file next to the bundle, so the worker is a
// second entry; shims give the CJS build an import.meta.url to find it. The ffmpeg
// installer locates its binary relative to its own files, so it must stay external.
export default packageBuild({
  entry: { index: 'src/index.ts', 'prepare-worker': 'src/cache/prepare-worker.ts' },
  shims: true,
  external: ['@ffmpeg-installer/ffmpeg'],
});
