export {
  type AudioDecodeOptions,
  type DecodedFrames,
  decodeAudio,
  decodeFramesFolder,
  decodeMedia,
  decodeVideoFrames,
  decodeWavFile,
  type MediaFiles,
  mediaSeconds,
  padAudio,
  padFrames,
  type VideoDecodeOptions,
} from './decode.js';
export {
  analysisWindow,
  DEFAULT_FBANK_OPTIONS,
  type Fbank,
  type FbankOptions,
  fbankFrameCount,
  fbankPerSecond,
  kaldiFbank,
  type WindowType,
} from './fbank.js';
export { resolveFfmpeg, runFfmpeg } from './ffmpeg.js';
export { inverseMelScale, melFilterBank, melScale } from './mel.js';
export { encodePng } from './png.js';
export { encodeWav, parseWav, toMono, type WavAudio } from './wav.js';
