import type { AvqaType, Modality, QuestionKind } from './question-types.js';

/** One record as stored in the MUSIC-AVQA JSON files (v1 and v2.0), quirks included. */
export interface RawAvqaRecord {
  video_id: string;
  /** Absent in some v2.0 records. */
  question_id?: number;
  /** A JSON list in a string, e.g. "[\"Audio-Visual\", \"Temporal\"]". */
  type: string | [string, string];
  question_content: string;
  /** A JSON list in a string, or (in 226 v2.0 records) a real list. */
  templ_values: string | string[];
  /** Absent or null in some v2.0 records; always 0 in v1. */
  question_deleted?: number | null;
  /** The answer; the field name is misspelled in the official data. */
  anser: string;
  [extraKey: string]: unknown;
}

/** A validated, tokenised MUSIC-AVQA question. */
export interface AvqaRecord {
  /** Position of the record in its source file (0-based), for reports and errors. */
  index: number;
  videoId: string;
  /** null when the record has no question_id (some v2.0 records); never invented. */
  questionId: number | null;
  modality: Modality;
  questionType: QuestionKind;
  /** The official pair, `modality/questionType`. */
  type: AvqaType;
  /** `question_content` as stored (placeholders, trailing spaces, full-width '？'). */
  question: string;
  /** The question with placeholders filled in, e.g. "Is the ukulele in the video always playing?". */
  filledQuestion: string;
  /** Official tokens, unpadded (4..14 in the real data). */
  tokens: string[];
  /** Token ids padded with `<pad>` to the vocabulary's maximum (14). */
  tokenIds: Int32Array;
  answer: string;
  /** Index of `answer` in the answer vocabulary (0..41 for the official one). */
  label: number;
  templValues: string[];
  /** null when absent (some v2.0 records). */
  questionDeleted: number | null;
  /** Keys beyond the v1 schema, kept as stored (v2.0: unmatch_audio, audio_instrument, video_instrument, person). */
  extra: Record<string, unknown>;
}
