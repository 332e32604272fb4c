/** The three modalities of MUSIC-AVQA, in the paper's column order. */
export const MODALITIES = ['Audio', 'Visual', 'Audio-Visual'] as const;
export type Modality = (typeof MODALITIES)[number];

/** The second element of a record's `type`. */
export type QuestionKind = 'Counting' | 'Comparative' | 'Location' | 'Existential' | 'Temporal';

/** One of the 9 official (modality, question kind) pairs, written `modality/kind`. */
export type AvqaType =
  | 'Audio/Counting'
  | 'Audio/Comparative'
  | 'Visual/Counting'
  | 'Visual/Location'
  | 'Audio-Visual/Existential'
  | 'Audio-Visual/Counting'
  | 'Audio-Visual/Location'
  | 'Audio-Visual/Comparative'
  | 'Audio-Visual/Temporal';

export interface AvqaTypeInfo {
  type: AvqaType;
  modality: Modality;
  kind: QuestionKind;
  /** The paper's column header for this type. */
  column: string;
}

function typeInfo(modality: Modality, kind: QuestionKind, column: string): AvqaTypeInfo {
  return Object.freeze({ type: `${modality}/${kind}` as AvqaType, modality, kind, column });
}

/** The 9 official question types in the paper's column order (Table 2 of MUSIC-AVQA). */
export const AVQA_TYPES: readonly AvqaTypeInfo[] = Object.freeze([
  typeInfo('Audio', 'Counting', 'Count'),
  typeInfo('Audio', 'Comparative', 'Comp'),
  typeInfo('Visual', 'Counting', 'Count'),
  typeInfo('Visual', 'Location', 'Loc'),
  typeInfo('Audio-Visual', 'Existential', 'Exist'),
  typeInfo('Audio-Visual', 'Counting', 'Count'),
  typeInfo('Audio-Visual', 'Location', 'Loc'),
  typeInfo('Audio-Visual', 'Comparative', 'Comp'),
  typeInfo('Audio-Visual', 'Temporal', 'Temp'),
]);

const TYPE_BY_NAME: ReadonlyMap<string, AvqaTypeInfo> = new Map(
  AVQA_TYPES.map((info) => [info.type, info]),
);

/** The official pair for a (modality, kind), or undefined when the pair is not one of the 9. */
export function findAvqaType(modality: string, kind: string): AvqaTypeInfo | undefined {
  return TYPE_BY_NAME.get(`${modality}/${kind}`);
}
