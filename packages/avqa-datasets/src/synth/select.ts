import type { QuestionCandidate } from './questions.js';
import type { Random } from './random.js';

export interface VideoQuestion extends QuestionCandidate {
  videoId: string;
}

/**
 * Picks `target` questions from the candidates so that, within each template, answers are
 * as balanced as the candidates allow (round-robin over answers; a template stops once only
 * one answer is left, so a majority-answer guess stays near chance), and templates take
 * turns so all 33 are represented. At most `perVideoTemplate` questions of one template per
 * video, to spread questions over videos.
 */
export function selectBalanced(
  candidates: readonly VideoQuestion[],
  target: number,
  rng: Random,
  perVideoTemplate = 2,
): VideoQuestion[] {
  const byTemplate = new Map<string, Map<string, VideoQuestion[]>>();
  for (const candidate of rng.shuffled(candidates)) {
    const byAnswer = byTemplate.get(candidate.templateId) ?? new Map<string, VideoQuestion[]>();
    byTemplate.set(candidate.templateId, byAnswer);
    const bucket = byAnswer.get(candidate.answer);
    if (bucket) bucket.push(candidate);
    else byAnswer.set(candidate.answer, [candidate]);
  }
  const streams = [...byTemplate.keys()]
    .sort()
    .map((templateId) => answerRoundRobin(byTemplate.get(templateId)!, rng));
  const perVideo = new Map<string, number>();
  const chosen: VideoQuestion[] = [];
  let active = rng.shuffled(streams);
  while (chosen.length < target && active.length > 0) {
    const still: typeof active = [];
    for (const stream of active) {
      if (chosen.length >= target) break;
      let picked: VideoQuestion | undefined;
      for (let next = stream.next(); !next.done; next = stream.next()) {
        const key = `${next.value.videoId}\u0000${next.value.templateId}`;
        if ((perVideo.get(key) ?? 0) >= perVideoTemplate) continue;
        perVideo.set(key, (perVideo.get(key) ?? 0) + 1);
        picked = next.value;
        break;
      }
      if (picked) {
        chosen.push(picked);
        still.push(stream);
      }
    }
    active = still;
  }
  return chosen;
}

function* answerRoundRobin(
  byAnswer: Map<string, VideoQuestion[]>,
  rng: Random,
): Generator<VideoQuestion> {
  const buckets = rng.shuffled([...byAnswer.keys()].sort()).map((answer) => byAnswer.get(answer)!);
  const single = buckets.length === 1;
  while (true) {
    const open = buckets.filter((b) => b.length > 0);
    // Templates with two or more answers stop when one is left (no run of a single answer);
    // a template whose scenes only ever allow one answer cannot be balanced and is asked as is.
    if (open.length === 0 || (!single && open.length < 2)) return;
    for (const bucket of open) {
      const item = bucket.pop();
      if (item) yield item;
    }
  }
}
