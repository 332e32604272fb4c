/**
 * Scene-level oracle for the comparative templates (issue 21i): how many training questions
 * each template gets, what the class prior alone answers, and whether the 5 sampled seconds
 * (0, 2, 4, 5, 7 of 8) still decide "longer". Run from the repo root:
 *   node --conditions=source --import tsx apps/trainer/scripts/probe-comparative-scenes.ts
 */
import {
  INSTRUMENTS,
  QUESTION_TEMPLATES,
  type RawAvqaRecord,
  type Scene,
  type SceneInstrument,
  spreadTimeSteps,
  synthesizeAnnotations,
  synthesizeHeldoutTest,
} from '@sparsify/avqa-datasets';
import { positionOf } from './comparative-probe-helpers.js';

const VIDEOS = Number(process.argv[2] ?? 480);
const SEED = 7;
const byContent = new Map(QUESTION_TEMPLATES.map((t) => [t.content, t.id]));
const COMP = QUESTION_TEMPLATES.filter((t) => t.id.includes('comp')).map((t) => t.id);

function operands(scene: Scene, id: string, values: string[]): [SceneInstrument, SceneInstrument] {
  const find = (name: string | undefined, pos: string | undefined) => {
    const hit = scene.instruments.filter(
      (i) =>
        (name === undefined || i.name === name) &&
        (pos === undefined || (i.visible && positionOf(i) === pos)),
    );
    if (hit.length !== 1)
      throw new Error(`${scene.videoId} ${id} ${values}: ${hit.length} matches`);
    return hit[0] as SceneInstrument;
  };
  if (id.startsWith('a-comp')) return [find(values[0], undefined), find(values[1], undefined)];
  if (id.includes('object')) return [find(values[0], values[1]), find(values[2], values[3])];
  return [find(undefined, values[0]), find(undefined, values[1])];
}

function report(label: string, scenes: Scene[], records: RawAvqaRecord[]) {
  const sceneById = new Map(scenes.map((s) => [s.videoId, s]));
  const steps = [...spreadTimeSteps(scenes[0]!.seconds, 5)];
  console.log(`\n## ${label}: ${records.length} questions, sampled seconds ${steps.join(',')}`);
  console.log(
    'template | n | yes% | class-prior acc | both sound in a sampled s | sampled-seconds oracle acc',
  );
  for (const id of COMP) {
    const rows = records.filter((r) => byContent.get(r.question_content) === id);
    let yes = 0,
      prior = 0,
      bothSampled = 0,
      oracle = 0;
    for (const r of rows) {
      const scene = sceneById.get(r.video_id)!;
      const values = JSON.parse(r.templ_values as string) as string[];
      const [a, b] = operands(scene, id, values);
      const truth = r.anser === 'yes';
      if (truth) yes++;
      // Class prior: the class's typical note rate (rhythmic); none exists for level or length.
      const ra = INSTRUMENTS[a.name].timbre.noteRate,
        rb = INSTRUMENTS[b.name].timbre.noteRate;
      prior += id.includes('rhythmic') ? (ra > rb === truth ? 1 : ra === rb ? 0.5 : 0) : 0.5;
      const sa = steps.filter((t) => a.playing[t]).length,
        sb = steps.filter((t) => b.playing[t]).length;
      if (sa > 0 && sb > 0) bothSampled++;
      if (id.includes('longer')) oracle += sa === sb ? 0.5 : sa > sb === truth ? 1 : 0;
      else if (id.includes('louder'))
        oracle += sa > 0 && sb > 0 ? (a.gainDb > b.gainDb === truth ? 1 : 0) : 0.5;
      else oracle += sa > 0 && sb > 0 ? (a.noteRate > b.noteRate === truth ? 1 : 0) : 0.5;
    }
    const pct = (x: number) => ((100 * x) / Math.max(1, rows.length)).toFixed(1);
    console.log(
      `${id} | ${rows.length} | ${pct(yes)} | ${pct(prior)} | ${pct(bothSampled)} | ${pct(oracle)}`,
    );
  }
}

const bench = synthesizeAnnotations({ videos: VIDEOS, seed: SEED, media: 'none' });
report(`train split of ${VIDEOS} videos (seed ${SEED})`, bench.scenes, bench.records.train);
const held = synthesizeHeldoutTest({ videos: VIDEOS, seed: SEED }, 1000);
report('held out, 1000 scenes', held.scenes, held.records);
