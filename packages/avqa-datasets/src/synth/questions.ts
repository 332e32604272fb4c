import { countWord, INSTRUMENT_CLASSES, type InstrumentClass } from './instruments.js';
import type { Random } from './random.js';
import {
  isSounding,
  onsetOf,
  type Position,
  playingSeconds,
  positionOf,
  type Scene,
  type SceneInstrument,
} from './scene.js';

/** A question the scene can answer: template id, placeholder values in order, answer. */
export interface QuestionCandidate {
  templateId: string;
  values: string[];
  answer: string;
}

/**
 * Margins below which a comparison is not asked: the generator only asks what a careful
 * listener could answer from the media (3 dB is a clearly audible level difference).
 */
export const LOUDNESS_MARGIN_DB = 3;
export const RHYTHM_RATIO = 1.4;
export const LONGER_MARGIN_SECONDS = 2;
export const PITCH_RATIO = 1.3;

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'] as const;
const SIDES: readonly Position[] = ['left', 'right'];
const POSITIONS: readonly Position[] = ['left', 'middle', 'right'];

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

type TemplateAsker = (facts: SceneFacts, rng: Random) => QuestionCandidate[];

/** Every answerable question of every template for one scene (several fillings each). */
export function questionsForScene(scene: Scene, rng: Random): QuestionCandidate[] {
  const facts = new SceneFacts(scene);
  const out: QuestionCandidate[] = [];
  for (const [templateId, ask] of Object.entries(ASKERS)) {
    const seen = new Set<string>();
    for (const candidate of ask(facts, rng)) {
      const key = candidate.values.join('|');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...candidate, templateId });
    }
  }
  return out;
}

/** Derived views of a scene that many templates share. */
export class SceneFacts {
  readonly visible: SceneInstrument[];
  readonly sounding: SceneInstrument[];
  readonly visibleSounding: SceneInstrument[];
  constructor(readonly scene: Scene) {
    this.visible = scene.instruments.filter((i) => i.visible);
    this.sounding = scene.instruments.filter(isSounding);
    this.visibleSounding = this.visible.filter(isSounding);
  }
  /** The only visible instance of a class, if exactly one is visible. */
  uniqueVisible(name: string): SceneInstrument | undefined {
    const matches = this.visible.filter((i) => i.name === name);
    return matches.length === 1 ? matches[0] : undefined;
  }
  /** The only instance of a class in the whole scene (seen or heard). */
  uniqueAnywhere(name: string): SceneInstrument | undefined {
    const matches = this.scene.instruments.filter((i) => i.name === name);
    return matches.length === 1 ? matches[0] : undefined;
  }
  /** The only visible instrument in a third of the frame. */
  uniqueAt(position: Position): SceneInstrument | undefined {
    const matches = this.visible.filter((i) => positionOf(i) === position);
    return matches.length === 1 ? matches[0] : undefined;
  }
  visibleClasses(): InstrumentClass[] {
    return [...new Set(this.visible.map((i) => i.name))];
  }
  soundingClasses(): InstrumentClass[] {
    return [...new Set(this.sounding.map((i) => i.name))];
  }
  absentClasses(): InstrumentClass[] {
    const present = new Set(this.scene.instruments.map((i) => i.name));
    return INSTRUMENT_CLASSES.filter((c) => !present.has(c));
  }
  /** The visible sounding instrument that starts first / last, if no other starts with it. */
  firstOrLast(which: 'first' | 'last'): SceneInstrument | undefined {
    if (this.visibleSounding.length < 2) return undefined;
    const onsets = this.visibleSounding.map(onsetOf);
    const target = which === 'first' ? Math.min(...onsets) : Math.max(...onsets);
    const matches = this.visibleSounding.filter((i) => onsetOf(i) === target);
    return matches.length === 1 ? matches[0] : undefined;
  }
  /** The nearest visible instrument on one side of another. */
  neighbour(of: SceneInstrument, side: Position): SceneInstrument | undefined {
    const candidates = this.visible
      .filter((i) => (side === 'left' ? i.x < of.x : i.x > of.x))
      .sort((a, b) => Math.abs(a.x - of.x) - Math.abs(b.x - of.x));
    return candidates[0];
  }
}

function louderAnswer(a: SceneInstrument, b: SceneInstrument): string | undefined {
  if (!isSounding(a) || !isSounding(b)) return undefined;
  const diff = a.gainDb - b.gainDb;
  return Math.abs(diff) < LOUDNESS_MARGIN_DB ? undefined : yesNo(diff > 0);
}

function rhythmicAnswer(a: SceneInstrument, b: SceneInstrument): string | undefined {
  if (!isSounding(a) || !isSounding(b)) return undefined;
  const ratio = a.noteRate / b.noteRate;
  return ratio < RHYTHM_RATIO && ratio > 1 / RHYTHM_RATIO ? undefined : yesNo(ratio > 1);
}

function longerAnswer(a: SceneInstrument, b: SceneInstrument): string | undefined {
  if (!isSounding(a) || !isSounding(b)) return undefined;
  const diff = playingSeconds(a) - playingSeconds(b);
  return Math.abs(diff) < LONGER_MARGIN_SECONDS ? undefined : yesNo(diff > 0);
}

/** Ordered pairs of distinct elements. */
function pairs<T>(items: readonly T[]): [T, T][] {
  const out: [T, T][] = [];
  for (const a of items) for (const b of items) if (a !== b) out.push([a, b]);
  return out;
}

/** Class pairs mixing present and absent classes, so yes and no both occur. */
function classPairs(
  present: readonly InstrumentClass[],
  facts: SceneFacts,
  rng: Random,
): [string, string][] {
  const absent = rng.shuffled(facts.absentClasses()).slice(0, 2);
  const pool = [...present, ...absent];
  return rng.shuffled(pairs(pool)).slice(0, 6);
}

function comparisonByClass(
  facts: SceneFacts,
  compare: (a: SceneInstrument, b: SceneInstrument) => string | undefined,
): QuestionCandidate[] {
  const unique = facts.scene.instruments.filter((i) => facts.uniqueAnywhere(i.name));
  const out: QuestionCandidate[] = [];
  for (const [a, b] of pairs(unique)) {
    const answer = compare(a, b);
    if (answer) out.push({ templateId: '', values: [a.name, b.name], answer });
  }
  return out;
}

function comparisonByPosition(
  facts: SceneFacts,
  withObject: boolean,
  compare: (a: SceneInstrument, b: SceneInstrument) => string | undefined,
): QuestionCandidate[] {
  const out: QuestionCandidate[] = [];
  for (const [pa, pb] of pairs(POSITIONS)) {
    const a = facts.uniqueAt(pa);
    const b = facts.uniqueAt(pb);
    if (!a || !b) continue;
    const answer = compare(a, b);
    if (!answer) continue;
    out.push({ templateId: '', values: withObject ? [a.name, pa, b.name, pb] : [pa, pb], answer });
  }
  return out;
}

const ASKERS: Record<string, TemplateAsker> = {
  'a-count-heard': (f) => [{ templateId: '', values: [], answer: countWord(f.sounding.length) }],
  'a-count-exists': (f, rng) => {
    const sounding = new Set(f.soundingClasses());
    const asked = [
      ...new Set(f.scene.instruments.map((i) => i.name)),
      ...rng.shuffled(f.absentClasses()).slice(0, 2),
    ];
    return asked.map((name) => ({
      templateId: '',
      values: [name],
      answer: yesNo(sounding.has(name)),
    }));
  },
  'a-count-both': (f, rng) => {
    const sounding = new Set<string>(f.soundingClasses());
    return classPairs([...new Set(f.scene.instruments.map((i) => i.name))], f, rng).map(
      ([a, b]) => ({
        templateId: '',
        values: [a, b],
        answer: yesNo(sounding.has(a) && sounding.has(b)),
      }),
    );
  },
  'a-comp-louder': (f) => comparisonByClass(f, louderAnswer),
  'a-comp-rhythmic': (f) => comparisonByClass(f, rhythmicAnswer),
  'a-comp-longer': (f) => comparisonByClass(f, longerAnswer),
  'v-count-types': (f) => [
    { templateId: '', values: [], answer: countWord(f.visibleClasses().length) },
  ],
  'v-count-object': (f, rng) =>
    [...f.visibleClasses(), ...rng.shuffled(f.absentClasses()).slice(0, 1)].map((name) => ({
      templateId: '',
      values: [name],
      answer: countWord(f.visible.filter((i) => i.name === name).length),
    })),
  'v-count-both': (f, rng) => {
    const visible = new Set<string>(f.visibleClasses());
    return classPairs(f.visibleClasses(), f, rng).map(([a, b]) => ({
      templateId: '',
      values: [a, b],
      answer: yesNo(visible.has(a) && visible.has(b)),
    }));
  },
  'v-count-exists': (f, rng) => {
    const visible = new Set<string>(f.visibleClasses());
    const offScreen = f.scene.instruments.filter((i) => !i.visible).map((i) => i.name);
    return [...visible, ...offScreen, ...rng.shuffled(f.absentClasses()).slice(0, 2)].map(
      (name) => ({
        templateId: '',
        values: [name],
        answer: yesNo(visible.has(name)),
      }),
    );
  },
  'v-loc-beside': (f) => {
    const out: QuestionCandidate[] = [];
    for (const of of f.visible) {
      if (!f.uniqueVisible(of.name)) continue;
      for (const side of SIDES) {
        const next = f.neighbour(of, side);
        if (next) out.push({ templateId: '', values: [side, of.name], answer: next.name });
      }
    }
    return out;
  },
  'v-loc-kind': (f) => {
    const classes = f.visibleClasses();
    return classes.length === 1
      ? [{ templateId: '', values: [], answer: classes[0] as string }]
      : [];
  },
  'v-loc-scene': (f) => [
    { templateId: '', values: [], answer: f.scene.indoor ? 'indoor' : 'outdoor' },
  ],
  'v-loc-extreme': (f) => {
    if (f.visible.length < 2) return [];
    const byX = [...f.visible].sort((a, b) => a.x - b.x);
    return [
      { templateId: '', values: ['leftest'], answer: (byX[0] as SceneInstrument).name },
      {
        templateId: '',
        values: ['rightest'],
        answer: (byX[byX.length - 1] as SceneInstrument).name,
      },
    ];
  },
  'av-exist-source': (f) =>
    f.sounding.length === 0
      ? []
      : [{ templateId: '', values: [], answer: yesNo(f.sounding.every((i) => i.visible)) }],
  'av-exist-voiceover': (f) => [{ templateId: '', values: [], answer: yesNo(f.scene.voiceover) }],
  'av-exist-always': (f) =>
    f.visible
      .filter((i) => f.uniqueVisible(i.name))
      .map((i) => ({ templateId: '', values: [i.name], answer: yesNo(i.playing.every(Boolean)) })),
  'av-count-sounding-object': (f, rng) =>
    [...f.visibleClasses(), ...rng.shuffled(f.absentClasses()).slice(0, 1)].map((name) => ({
      templateId: '',
      values: [name],
      answer: countWord(f.visibleSounding.filter((i) => i.name === name).length),
    })),
  'av-count-not-throughout': (f) => [
    {
      templateId: '',
      values: [],
      answer: countWord(f.visible.filter((i) => !i.playing.every(Boolean)).length),
    },
  ],
  'av-count-sounding': (f) => [
    { templateId: '', values: [], answer: countWord(f.visibleSounding.length) },
  ],
  'av-count-types': (f) => [
    {
      templateId: '',
      values: [],
      answer: countWord(new Set(f.visibleSounding.map((i) => i.name)).size),
    },
  ],
  'av-loc-first-at': (f, rng) => {
    const out: QuestionCandidate[] = [];
    for (const which of ['first', 'last'] as const) {
      const target = f.firstOrLast(which);
      if (!target) continue;
      const truth = positionOf(target);
      const other = rng.pick(POSITIONS.filter((p) => p !== truth));
      out.push({ templateId: '', values: [which, truth], answer: 'yes' });
      out.push({ templateId: '', values: [which, other], answer: 'no' });
    }
    return out;
  },
  'av-loc-extreme-where': (f) => {
    const out: QuestionCandidate[] = [];
    if (f.visibleSounding.length < 2) return out;
    const byGain = [...f.visibleSounding].sort((a, b) => b.gainDb - a.gainDb);
    const [loudest, runnerUp] = byGain as [SceneInstrument, SceneInstrument];
    if (loudest.gainDb - runnerUp.gainDb >= LOUDNESS_MARGIN_DB) {
      out.push({ templateId: '', values: ['loudest'], answer: positionOf(loudest) });
    }
    const byPitch = [...f.visibleSounding].sort((a, b) => a.fundamental - b.fundamental);
    const [lowest, next] = byPitch as [SceneInstrument, SceneInstrument];
    if (next.fundamental / lowest.fundamental >= PITCH_RATIO) {
      out.push({ templateId: '', values: ['lowest'], answer: positionOf(lowest) });
    }
    return out;
  },
  'av-loc-same-time': (f) => {
    const out: QuestionCandidate[] = [];
    for (const target of f.visibleSounding) {
      if (!f.uniqueVisible(target.name)) continue;
      const overlapping = f.visibleSounding.filter(
        (i) => i !== target && i.playing.some((p, t) => p && target.playing[t]),
      );
      const classes = [...new Set(overlapping.map((i) => i.name))];
      if (classes.length === 1 && classes[0] !== target.name) {
        out.push({ templateId: '', values: [target.name], answer: classes[0] as string });
      }
    }
    return out;
  },
  'av-loc-beside-first': (f) => {
    const out: QuestionCandidate[] = [];
    for (const which of ['first', 'last'] as const) {
      const target = f.firstOrLast(which);
      if (!target) continue;
      for (const side of SIDES) {
        const next = f.neighbour(target, side);
        if (next) out.push({ templateId: '', values: [side, which], answer: next.name });
      }
    }
    return out;
  },
  'av-comp-object-louder': (f) => comparisonByPosition(f, true, louderAnswer),
  'av-comp-louder': (f) => comparisonByPosition(f, false, louderAnswer),
  'av-comp-rhythmic': (f) => comparisonByPosition(f, false, rhythmicAnswer),
  'av-comp-object-rhythmic': (f) => comparisonByPosition(f, true, rhythmicAnswer),
  'av-temp-nth': (f) => {
    const onsets = f.visibleSounding.map(onsetOf).sort((a, b) => a - b);
    const out: QuestionCandidate[] = [];
    if (f.visibleSounding.length < 2) return out;
    ORDINALS.forEach((ordinal, rank) => {
      const onset = onsets[rank];
      if (onset === undefined || onsets.filter((o) => o === onset).length !== 1) return;
      const entering = f.visibleSounding.find((i) => onsetOf(i) === onset) as SceneInstrument;
      out.push({ templateId: '', values: [ordinal], answer: entering.name });
    });
    return out;
  },
  'av-temp-where': (f) => {
    const out: QuestionCandidate[] = [];
    for (const which of ['first', 'last'] as const) {
      const target = f.firstOrLast(which);
      if (target) out.push({ templateId: '', values: [which], answer: positionOf(target) });
    }
    return out;
  },
  'av-temp-which-object': (f) => {
    const out: QuestionCandidate[] = [];
    for (const name of f.visibleClasses()) {
      const group = f.visibleSounding.filter((i) => i.name === name);
      if (group.length < 2 || new Set(group.map(positionOf)).size !== group.length) continue;
      for (const which of ['first', 'last'] as const) {
        const onsets = group.map(onsetOf);
        const target = which === 'first' ? Math.min(...onsets) : Math.max(...onsets);
        const matches = group.filter((i) => onsetOf(i) === target);
        const answer =
          matches.length === 1 ? positionOf(matches[0] as SceneInstrument) : 'simultaneously';
        out.push({ templateId: '', values: [name, which], answer });
      }
    }
    return out;
  },
  'av-temp-before-after': (f) => {
    const out: QuestionCandidate[] = [];
    for (const target of f.visibleSounding) {
      if (!f.uniqueVisible(target.name)) continue;
      const onset = onsetOf(target);
      const earlier = f.visibleSounding.map(onsetOf).filter((o) => o < onset);
      const later = f.visibleSounding.map(onsetOf).filter((o) => o > onset);
      for (const [relation, times] of [
        ['before', earlier.length ? [Math.max(...earlier)] : []],
        ['after', later.length ? [Math.min(...later)] : []],
      ] as const) {
        const time = times[0];
        if (time === undefined) continue;
        const matches = f.visibleSounding.filter((i) => onsetOf(i) === time);
        if (matches.length === 1 && (matches[0] as SceneInstrument).name !== target.name) {
          out.push({
            templateId: '',
            values: [relation, target.name],
            answer: (matches[0] as SceneInstrument).name,
          });
        }
      }
    }
    return out;
  },
};

/** Template ids the generator knows how to ask (all 33). */
export const ASKED_TEMPLATE_IDS: readonly string[] = Object.keys(ASKERS);
