/**
 * The 33 official MUSIC-AVQA question templates in their 9 types, exactly as
 * `question_content` spells them in the released files (including the trailing spaces of
 * two templates and the full-width question mark of one), so a model trained on the
 * synthetic benchmark sees the official vocabulary and tokenisation.
 */
import type { Modality, QuestionKind } from '../annotations/question-types.js';

/** A template's `type` as the files store it (before JSON encoding): [modality, kind]. */
export type TemplateType = readonly [Modality, QuestionKind];

export interface QuestionTemplate {
  /** A stable short name used by the generator and in reports. */
  id: string;
  type: TemplateType;
  /** `question_content` with placeholders <Object> <LR> <LRer> <FL> <LL> <TH> <BA>. */
  content: string;
}

const A_COUNT: TemplateType = ['Audio', 'Counting'];
const A_COMP: TemplateType = ['Audio', 'Comparative'];
const V_COUNT: TemplateType = ['Visual', 'Counting'];
const V_LOC: TemplateType = ['Visual', 'Location'];
const AV_EXIST: TemplateType = ['Audio-Visual', 'Existential'];
const AV_COUNT: TemplateType = ['Audio-Visual', 'Counting'];
const AV_LOC: TemplateType = ['Audio-Visual', 'Location'];
const AV_COMP: TemplateType = ['Audio-Visual', 'Comparative'];
const AV_TEMP: TemplateType = ['Audio-Visual', 'Temporal'];

export const QUESTION_TEMPLATES: readonly QuestionTemplate[] = [
  {
    id: 'a-count-heard',
    type: A_COUNT,
    content: 'How many musical instruments were heard throughout the video?',
  },
  { id: 'a-count-exists', type: A_COUNT, content: 'Is there a <Object> sound?' },
  { id: 'a-count-both', type: A_COUNT, content: 'Are there <Object> and <Object> sound? ' },
  { id: 'a-comp-louder', type: A_COMP, content: 'Is the <Object> louder than the <Object>?' },
  {
    id: 'a-comp-rhythmic',
    type: A_COMP,
    content: 'Is the <Object> more rhythmic than the <Object>?',
  },
  {
    id: 'a-comp-longer',
    type: A_COMP,
    content: 'Is the <Object> playing longer than the <Object>?',
  },
  {
    id: 'v-count-types',
    type: V_COUNT,
    content: 'How many types of musical instruments appeared in the entire video?',
  },
  { id: 'v-count-object', type: V_COUNT, content: 'How many <Object> are in the entire video?' },
  {
    id: 'v-count-both',
    type: V_COUNT,
    content: 'Are there <Object> and <Object> instruments in the video?',
  },
  { id: 'v-count-exists', type: V_COUNT, content: 'Is there a <Object> in the entire video?' },
  { id: 'v-loc-beside', type: V_LOC, content: 'What is the instrument on the <LR> of <Object>?' },
  { id: 'v-loc-kind', type: V_LOC, content: 'What kind of musical instrument is it?' },
  { id: 'v-loc-scene', type: V_LOC, content: 'Where is the performance?' },
  {
    id: 'v-loc-extreme',
    type: V_LOC,
    content: 'What kind of instrument is the <LRer> instrument? ',
  },
  {
    id: 'av-exist-source',
    type: AV_EXIST,
    content: 'Is this sound from the instrument in the video?',
  },
  { id: 'av-exist-voiceover', type: AV_EXIST, content: 'Is there a voiceover?' },
  {
    id: 'av-exist-always',
    type: AV_EXIST,
    content: 'Is the <Object> in the video always playing?',
  },
  {
    id: 'av-count-sounding-object',
    type: AV_COUNT,
    content: 'How many sounding <Object> in the video\uFF1F',
  },
  {
    id: 'av-count-not-throughout',
    type: AV_COUNT,
    content: 'How many instruments in the video did not sound from beginning to end?',
  },
  {
    id: 'av-count-sounding',
    type: AV_COUNT,
    content: 'How many instruments are sounding in the video?',
  },
  {
    id: 'av-count-types',
    type: AV_COUNT,
    content: 'How many types of musical instruments sound in the video?',
  },
  {
    id: 'av-loc-first-at',
    type: AV_LOC,
    content: 'Is the <FL> sound coming from the <LR> instrument?',
  },
  { id: 'av-loc-extreme-where', type: AV_LOC, content: 'Where is the <LL> instrument?' },
  {
    id: 'av-loc-same-time',
    type: AV_LOC,
    content: 'Which is the musical instrument that sounds at the same time as the <Object>?',
  },
  {
    id: 'av-loc-beside-first',
    type: AV_LOC,
    content: 'What is the <LR> instrument of the <FL> sounding instrument?',
  },
  {
    id: 'av-comp-object-louder',
    type: AV_COMP,
    content: 'Is the <Object> on the <LR> louder than the <Object> on the <LR>?',
  },
  {
    id: 'av-comp-louder',
    type: AV_COMP,
    content: 'Is the instrument on the <LR> louder than the instrument on the <LR>?',
  },
  {
    id: 'av-comp-rhythmic',
    type: AV_COMP,
    content: 'Is the instrument on the <LR> more rhythmic than the instrument on the <LR>?',
  },
  {
    id: 'av-comp-object-rhythmic',
    type: AV_COMP,
    content: 'Is the <Object> on the <LR> more rhythmic than the <Object> on the <LR>?',
  },
  { id: 'av-temp-nth', type: AV_TEMP, content: 'What is the <TH> instrument that comes in?' },
  { id: 'av-temp-where', type: AV_TEMP, content: 'Where is the <FL> sounding instrument?' },
  { id: 'av-temp-which-object', type: AV_TEMP, content: 'Which <Object> makes the sound <FL>?' },
  {
    id: 'av-temp-before-after',
    type: AV_TEMP,
    content: 'Which instrument makes sounds <BA> the <Object>?',
  },
];

export function templateById(id: string): QuestionTemplate {
  const template = QUESTION_TEMPLATES.find((t) => t.id === id);
  if (!template) throw new Error(`unknown question template id '${id}'`);
  return template;
}

/** The `type` field as the released files store it: a JSON list inside a string. */
export function encodeQuestionType(type: TemplateType): string {
  return pythonJsonList(type);
}

/** Python's json.dumps of a list of strings (", " separators), as the files use. */
export function pythonJsonList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}
