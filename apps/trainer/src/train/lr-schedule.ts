/** Step decay: the learning rate of `epoch` (0-based) is lr * factor^floor(epoch / every). */
export function stepDecayLearningRate(
  lr: number,
  decay: { factor: number; every: number },
  epoch: number,
): number {
  return lr * decay.factor ** Math.floor(epoch / decay.every);
}
