import { describe, expect, it } from 'vitest';
import type { InstrumentClass } from '../../src/synth/instruments.js';
import { type QuestionCandidate, questionsForScene } from '../../src/synth/questions.js';
import { createRandom } from '../../src/synth/random.js';
import type { Scene, SceneInstrument } from '../../src/synth/scene.js';

function instrument(
  name: InstrumentClass,
  x: number,
  playing: string,
  extra: Partial<SceneInstrument> = {},
): SceneInstrument {
  return {
    name,
    visible: true,
    x,
    y: 0.5,
    size: 0.35,
    fundamental: 300,
    gainDb: -15,
    noteRate: 2,
    playing: [...playing].map((c) => c === '1'),
    ...extra,
  };
}

function scene(instruments: SceneInstrument[], extra: Partial<Scene> = {}): Scene {
  return {
    videoId: '00000001',
    seed: 1,
    seconds: 8,
    indoor: true,
    voiceover: false,
    instruments,
    ...extra,
  };
}

/** The answer the generator gives to one filled template, or undefined when it would not ask it. */
function answers(s: Scene): (templateId: string, ...values: string[]) => string | undefined {
  const all: QuestionCandidate[] = [];
  // Several seeds, so randomly sampled fillings (absent classes, wrong positions) all show up.
  for (let seed = 0; seed < 20; seed++) all.push(...questionsForScene(s, createRandom(seed)));
  return (templateId, ...values) => {
    const found = all.filter(
      (q) => q.templateId === templateId && q.values.join('|') === values.join('|'),
    );
    const distinct = new Set(found.map((q) => q.answer));
    if (distinct.size > 1)
      throw new Error(`${templateId} ${values}: inconsistent answers ${[...distinct]}`);
    return found[0]?.answer;
  };
}

describe('questions on a hand-built scene', () => {
  // violin left plays throughout and loudest; piano in the middle plays seconds 2-5, faster
  // and lower; cello on the right is silent; an off-screen trumpet plays the last 2 seconds.
  const s = scene(
    [
      instrument('violin', 0.12, '11111111', { gainDb: -10, noteRate: 2, fundamental: 400 }),
      instrument('piano', 0.5, '00111100', { gainDb: -20, noteRate: 5, fundamental: 200 }),
      instrument('cello', 0.88, '00000000'),
      instrument('trumpet', 0.5, '00000011', { visible: false, gainDb: -30 }),
    ],
    { voiceover: true, indoor: false },
  );
  const ask = answers(s);

  it('audio counting and comparisons', () => {
    expect(ask('a-count-heard')).toBe('three');
    expect(ask('a-count-exists', 'cello')).toBe('no');
    expect(ask('a-count-exists', 'trumpet')).toBe('yes');
    expect(ask('a-count-exists', 'violin')).toBe('yes');
    expect(ask('a-comp-louder', 'violin', 'piano')).toBe('yes');
    expect(ask('a-comp-louder', 'piano', 'violin')).toBe('no');
    expect(ask('a-comp-louder', 'violin', 'cello')).toBeUndefined();
    expect(ask('a-comp-rhythmic', 'piano', 'violin')).toBe('yes');
    expect(ask('a-comp-longer', 'violin', 'piano')).toBe('yes');
    expect(ask('a-comp-longer', 'piano', 'trumpet')).toBe('yes');
  });

  it('visual counting and location', () => {
    expect(ask('v-count-types')).toBe('three');
    expect(ask('v-count-object', 'violin')).toBe('one');
    expect(ask('v-count-exists', 'trumpet')).toBe('no');
    expect(ask('v-count-exists', 'cello')).toBe('yes');
    expect(ask('v-loc-beside', 'right', 'violin')).toBe('piano');
    expect(ask('v-loc-beside', 'left', 'cello')).toBe('piano');
    expect(ask('v-loc-beside', 'left', 'violin')).toBeUndefined();
    expect(ask('v-loc-extreme', 'leftest')).toBe('violin');
    expect(ask('v-loc-extreme', 'rightest')).toBe('cello');
    expect(ask('v-loc-scene')).toBe('outdoor');
    expect(ask('v-loc-kind')).toBeUndefined();
  });

  it('audio-visual existence and counting', () => {
    expect(ask('av-exist-source')).toBe('no');
    expect(ask('av-exist-voiceover')).toBe('yes');
    expect(ask('av-exist-always', 'violin')).toBe('yes');
    expect(ask('av-exist-always', 'piano')).toBe('no');
    expect(ask('av-exist-always', 'cello')).toBe('no');
    expect(ask('av-count-sounding-object', 'cello')).toBe('zero');
    expect(ask('av-count-sounding-object', 'violin')).toBe('one');
    expect(ask('av-count-not-throughout')).toBe('two');
    expect(ask('av-count-sounding')).toBe('two');
    expect(ask('av-count-types')).toBe('two');
  });

  it('audio-visual location, comparison and time', () => {
    expect(ask('av-loc-first-at', 'first', 'left')).toBe('yes');
    expect(ask('av-loc-first-at', 'last', 'middle')).toBe('yes');
    expect(ask('av-loc-first-at', 'first', 'right')).toBe('no');
    expect(ask('av-loc-first-at', 'first', 'middle')).toBe('no');
    expect(ask('av-loc-extreme-where', 'loudest')).toBe('left');
    expect(ask('av-loc-extreme-where', 'lowest')).toBe('middle');
    expect(ask('av-loc-same-time', 'violin')).toBe('piano');
    expect(ask('av-loc-same-time', 'piano')).toBe('violin');
    expect(ask('av-loc-beside-first', 'right', 'first')).toBe('piano');
    expect(ask('av-loc-beside-first', 'left', 'last')).toBe('violin');
    expect(ask('av-loc-beside-first', 'right', 'last')).toBe('cello');
    expect(ask('av-comp-object-louder', 'violin', 'left', 'piano', 'middle')).toBe('yes');
    expect(ask('av-comp-louder', 'middle', 'left')).toBe('no');
    expect(ask('av-comp-louder', 'left', 'right')).toBeUndefined();
    expect(ask('av-comp-rhythmic', 'middle', 'left')).toBe('yes');
    expect(ask('av-comp-object-rhythmic', 'violin', 'left', 'piano', 'middle')).toBe('no');
    expect(ask('av-temp-nth', 'first')).toBe('violin');
    expect(ask('av-temp-nth', 'second')).toBe('piano');
    expect(ask('av-temp-nth', 'third')).toBeUndefined();
    expect(ask('av-temp-where', 'first')).toBe('left');
    expect(ask('av-temp-where', 'last')).toBe('middle');
    expect(ask('av-temp-before-after', 'after', 'violin')).toBe('piano');
    expect(ask('av-temp-before-after', 'before', 'piano')).toBe('violin');
  });
});

describe('questions about repeated instruments', () => {
  it('which of two guzhengs sounds first or last, or both at once', () => {
    const staggered = answers(
      scene([instrument('guzheng', 0.12, '00011111'), instrument('guzheng', 0.88, '11111100')]),
    );
    expect(staggered('av-temp-which-object', 'guzheng', 'first')).toBe('right');
    expect(staggered('av-temp-which-object', 'guzheng', 'last')).toBe('left');
    expect(staggered('v-count-object', 'guzheng')).toBe('two');
    expect(staggered('av-exist-always', 'guzheng')).toBeUndefined();
    const together = answers(
      scene([instrument('guzheng', 0.12, '01111111'), instrument('guzheng', 0.88, '01110000')]),
    );
    expect(together('av-temp-which-object', 'guzheng', 'first')).toBe('simultaneously');
  });

  it('a single instrument answers what kind it is; comparisons within the margin are not asked', () => {
    const single = answers(scene([instrument('erhu', 0.5, '11111111')]));
    expect(single('v-loc-kind')).toBe('erhu');
    expect(single('av-temp-nth', 'first')).toBeUndefined();
    const close = answers(
      scene([
        instrument('flute', 0.12, '11111111', { gainDb: -12 }),
        instrument('tuba', 0.88, '11111111', { gainDb: -13 }),
      ]),
    );
    expect(close('a-comp-louder', 'flute', 'tuba')).toBeUndefined();
    expect(close('av-comp-louder', 'left', 'right')).toBeUndefined();
  });
});
