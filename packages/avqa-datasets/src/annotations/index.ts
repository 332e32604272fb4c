export { type AdditionalVideo, parseAdditionalVideosCsv } from './additionalVideos.js';
export { AnnotationError } from './annotationError.js';
export type { AvqaRecord, RawAvqaRecord } from './avqaRecord.js';
export {
  applyDuplicatePolicy,
  type DuplicatePolicy,
  type DuplicateQuestionId,
  findDuplicateQuestionIds,
} from './duplicateQuestionIds.js';
export {
  type AnnotationSet,
  type ParseAnnotationsOptions,
  parseAnnotations,
  type SkippedRecords,
  type UnknownPolicy,
} from './parseAnnotations.js';
export {
  AVQA_TYPES,
  type AvqaType,
  type AvqaTypeInfo,
  findAvqaType,
  MODALITIES,
  type Modality,
  type QuestionKind,
} from './questionTypes.js';
export { readAnnotationFile } from './readAnnotationFile.js';
export { fillQuestion, tokenizeQuestion } from './tokenizeQuestion.js';
export { assertSafeVideoId, isSafeVideoId, videoIdProblem } from './videoId.js';
