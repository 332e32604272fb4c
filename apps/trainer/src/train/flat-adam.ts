import { type AdamAttrs, FusedKernelName } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import { optimisationOf, type TrainConfig } from '../config/train-config.js';

/** tfjs-core's NamedTensor, which @tensorflow/tfjs does not re-export. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface Layout {
  names: string[];
  shapes: number[][];
}

/** AdamW's and clipping's settings; all off gives tf.train.adam bit for bit. */
export interface FlatAdamExtras {
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter): every step multiplies a decayed
   * parameter by 1 - lr * weightDecay before the Adam update. 0 = plain Adam.
   */
  weightDecay?: number;
  /** Which parameters decay (default: rank >= 2, i.e. weight matrices, not biases, norms or gates). */
  decays?: (variable: tf.Variable) => boolean;
  /** Scale the whole gradient down when its global L2 norm exceeds this (0 = no clipping). */
  clipNorm?: number;
}

/**
 * Adam over all parameters at once: tf.train.adam's arithmetic, bit for bit, run on one
 * flat buffer instead of 14 kernels per parameter tensor.
 *
 * Why: at the demo's model size a kernel's fixed dispatch cost, not its arithmetic, is
 * most of Adam's time. The `tiny` model has 138 parameter tensors, so stock Adam launches
 * 1,936 kernels per step, a quarter of the step's kernels. Here the update is 14 kernels
 * over all 0.77M values, plus one concat of the gradients, one of the values and one split
 * (PyTorch's `foreach` Adam flattens for the same reason). Every value goes through the
 * same float32 operations in the same order as in tf.train.adam, so training is unchanged
 * to the last bit.
 *
 * Checkpoints keep tf.train.adam's format: getWeights() gives the step count and then
 * per-parameter `name/m` and `name/v` slots, and setWeights() takes them, so either
 * optimizer resumes from the other's state. Unlike tf.train.adam, every step must update
 * parameters of the same shapes in the same order, with a gradient for each (give a zero
 * gradient rather than none).
 */
export class FlatAdam extends tf.Optimizer {
  static get className(): string {
    return 'FlatAdam';
  }

  /** beta1^t and beta2^t, accumulated step by step as tf.train.adam does (checkpoints save them). */
  readonly accBeta1: tf.Variable;
  readonly accBeta2: tf.Variable;
  readonly epsilon: number;
  private layout: Layout | null = null;
  private firstMoment: tf.Variable | null = null;
  private secondMoment: tf.Variable | null = null;
  /** What the last getWeights() handed out: valid until the next call or dispose(). */
  private weightViews: tf.Tensor[] = [];
  readonly weightDecay: number;
  readonly clipNorm: number;
  private readonly decays: (variable: tf.Variable) => boolean;
  /** 1 where a value decays, 0 elsewhere, built with the layout. */
  private decayMask: tf.Tensor1D | null = null;
  /** The global gradient norm of the last step, before clipping. */
  lastGradientNorm = Number.NaN;

  constructor(
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    epsilon?: number,
    extras: FlatAdamExtras = {},
  ) {
    super();
    this.weightDecay = extras.weightDecay ?? 0;
    this.clipNorm = extras.clipNorm ?? 0;
    this.decays = extras.decays ?? ((variable) => variable.rank >= 2);
    if (!(this.weightDecay >= 0) || !(this.clipNorm >= 0)) {
      throw new Error(
        `FlatAdam: weightDecay and clipNorm must be >= 0, got ${this.weightDecay} and ${this.clipNorm}`,
      );
    }
    this.accBeta1 = tf.tidy(() => tf.scalar(beta1).variable(false));
    this.accBeta2 = tf.tidy(() => tf.scalar(beta2).variable(false));
    this.epsilon = epsilon ?? tf.backend().epsilon();
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const gradients = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const variables = gradients.map(({ name, tensor }) => {
      const variable = tf.engine().registeredVariables[name];
      if (!variable) throw new Error(`FlatAdam: no variable named "${name}"`);
      if (tensor == null) {
        throw new Error(
          `FlatAdam: no gradient for "${name}"; it updates every parameter on every step, so pass zeros (tf.zerosLike) instead`,
        );
      }
      return variable;
    });
    const layout = this.checkLayout(variables);
    const fused = tf.getKernel(FusedKernelName.adam, tf.getBackend()) != null;
    tf.tidy(() => {
      const [firstMoment, secondMoment] = this.moments(layout);
      // The gradients as one vector, when the norm or the composed step needs it.
      const flatGradient =
        fused && this.clipNorm === 0 ? null : flatten(gradients.map(({ tensor }) => tensor));
      let gradScale = 1;
      if (this.clipNorm > 0 && flatGradient !== null) {
        const norm = tf.sqrt(tf.sum(tf.square(flatGradient)));
        this.lastGradientNorm = norm.dataSync()[0] ?? Number.NaN;
        // Scale by clip / norm only when over the bound (PyTorch's clip_grad_norm_, eps 1e-6).
        if (this.lastGradientNorm > this.clipNorm)
          gradScale = this.clipNorm / (this.lastGradientNorm + 1e-6);
      }
      const decayMask = this.weightDecay > 0 ? this.maskFor(layout, variables) : null;
      if (fused || flatGradient === null) {
        const newValues = this.fusedStep(
          gradients.map(({ tensor }) => tensor),
          firstMoment,
          secondMoment,
          variables,
          decayMask,
          gradScale,
        );
        for (const [i, variable] of variables.entries()) variable.assign(newValues[i] as tf.Tensor);
      } else {
        const values = flatten(variables);
        const newValues = this.composedStep(
          flatGradient,
          firstMoment,
          secondMoment,
          values,
          decayMask,
          gradScale,
        );
        const pieces = tf.split(newValues, layout.shapes.map(tf.util.sizeFromShape));
        for (const [i, variable] of variables.entries()) {
          variable.assign(tf.reshape(pieces[i] as tf.Tensor, variable.shape));
        }
      }
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /** tf.train.adam's update, each line its op, on all parameters at once; assigns the moments. */
  private composedStep(
    flatGradient: tf.Tensor,
    firstMoment: tf.Variable,
    secondMoment: tf.Variable,
    values: tf.Tensor,
    decayMask: tf.Tensor1D | null,
    gradScale: number,
  ): tf.Tensor {
    const gradient = gradScale === 1 ? flatGradient : tf.mul(flatGradient, gradScale);
    const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
    const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
    const newFirstMoment = tf.add(
      tf.mul(firstMoment, this.beta1),
      tf.mul(gradient, 1 - this.beta1),
    );
    const newSecondMoment = tf.add(
      tf.mul(secondMoment, this.beta2),
      tf.mul(tf.square(gradient), 1 - this.beta2),
    );
    const biasCorrectedFirstMoment = tf.div(newFirstMoment, oneMinusAccBeta1);
    const biasCorrectedSecondMoment = tf.div(newSecondMoment, oneMinusAccBeta2);
    firstMoment.assign(newFirstMoment);
    secondMoment.assign(newSecondMoment);
    let decayed = values;
    if (decayMask !== null) {
      // Decoupled: shrink the parameters themselves, outside the adaptive update.
      decayed = tf.mul(values, tf.sub(1, tf.mul(decayMask, this.learningRate * this.weightDecay)));
    }
    return tf.add(
      tf.mul(
        tf.div(biasCorrectedFirstMoment, tf.add(tf.sqrt(biasCorrectedSecondMoment), this.epsilon)),
        -this.learningRate,
      ),
      decayed,
    );
  }

  /**
   * The same step as one pass of tfjs-fast-kernels' fused kernel (FusedKernelName.adam) over
   * the gradients and parameters as they are: the same float32 operations in the same
   * order, so the same bits, without a dozen elementwise kernels each reading and writing
   * every value, nor the concat, split and reshapes around them. Assigns the moments;
   * returns each parameter's new values.
   */
  private fusedStep(
    gradients: tf.Tensor[],
    firstMoment: tf.Variable,
    secondMoment: tf.Variable,
    variables: tf.Variable[],
    decayMask: tf.Tensor1D | null,
    gradScale: number,
  ): tf.Tensor[] {
    const attrs: AdamAttrs & { count: number } = {
      count: variables.length,
      gradScale,
      beta1: this.beta1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      acc1: this.accBeta1.dataSync()[0] as number,
      acc2: this.accBeta2.dataSync()[0] as number,
      epsilon: this.epsilon,
      negLr: -this.learningRate,
      decayRate: this.learningRate * this.weightDecay,
    };
    const inputs: tf.NamedTensorMap = { m: firstMoment, v: secondMoment };
    if (decayMask !== null) inputs.decayMask = decayMask;
    variables.forEach((variable, i) => {
      inputs[`g${i}`] = gradients[i] as tf.Tensor;
      inputs[`w${i}`] = variable;
    });
    const [newFirstMoment, newSecondMoment, ...newValues] = tf
      .engine()
      .runKernel(FusedKernelName.adam, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    firstMoment.assign(newFirstMoment as tf.Tensor);
    secondMoment.assign(newSecondMoment as tf.Tensor);
    return newValues;
  }

  /** The step count, then `name/m` for every parameter, then `name/v`: tf.train.adam's slots. */
  override async getWeights(): Promise<NamedTensor[]> {
    tf.dispose(this.weightViews);
    this.weightViews = [];
    const iterations = await this.saveIterations();
    const { layout, firstMoment, secondMoment } = this;
    if (!layout || !firstMoment || !secondMoment) return [iterations];
    const views = (moment: tf.Tensor, suffix: string) =>
      tf.split(moment, layout.shapes.map(tf.util.sizeFromShape)).map((piece, i) => {
        const tensor = tf.reshape(piece, layout.shapes[i] as number[]);
        piece.dispose();
        this.weightViews.push(tensor);
        return { name: `${layout.names[i]}/${suffix}`, tensor };
      });
    return [iterations, ...views(firstMoment, 'm'), ...views(secondMoment, 'v')];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const slots = await this.extractIterations(weightValues);
    tf.tidy(() => {
      this.accBeta1.assign(tf.pow(this.beta1, this.iterations_ + 1));
      this.accBeta2.assign(tf.pow(this.beta2, this.iterations_ + 1));
    });
    if (slots.length % 2 !== 0) {
      throw new Error(`FlatAdam.setWeights: expected m and v slots in pairs, got ${slots.length}`);
    }
    const count = slots.length / 2;
    const names = slots.slice(0, count).map(({ name }, i) => {
      const parameter = name.replace(/\/m$/, '');
      const second = slots[count + i] as NamedTensor;
      if (parameter === name || second.name !== `${parameter}/v`) {
        throw new Error(
          `FlatAdam.setWeights: slot ${i} is "${name}" and slot ${count + i} is "${second.name}"; expected "<parameter>/m" and "<parameter>/v"`,
        );
      }
      return parameter;
    });
    const shapes = slots.slice(0, count).map(({ tensor }) => tensor.shape.slice());
    this.disposeMoments();
    this.layout = { names, shapes };
    this.firstMoment = tf.tidy(() =>
      flatten(slots.slice(0, count).map(({ tensor }) => tensor)).variable(false),
    );
    this.secondMoment = tf.tidy(() =>
      flatten(slots.slice(count).map(({ tensor }) => tensor)).variable(false),
    );
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      clipNorm: this.clipNorm,
    };
  }

  override dispose(): void {
    this.accBeta1.dispose();
    this.accBeta2.dispose();
    this.decayMask?.dispose();
    this.decayMask = null;
    this.disposeMoments();
    super.dispose();
  }

  /** 1 for the values of decayed parameters, 0 for the rest, in the flat layout. */
  private maskFor(layout: Layout, variables: tf.Variable[]): tf.Tensor1D {
    if (!this.decayMask) {
      const total = layout.shapes.reduce((sum, shape) => sum + tf.util.sizeFromShape(shape), 0);
      const mask = new Float32Array(total);
      let offset = 0;
      for (const variable of variables) {
        if (this.decays(variable)) mask.fill(1, offset, offset + variable.size);
        offset += variable.size;
      }
      this.decayMask = tf.keep(tf.tensor1d(mask));
    }
    return this.decayMask;
  }

  /** The moments, created as zeros on the first step (as tf.train.adam does). */
  private moments(layout: Layout): [tf.Variable, tf.Variable] {
    if (!this.firstMoment || !this.secondMoment) {
      const total = layout.shapes.reduce((sum, shape) => sum + tf.util.sizeFromShape(shape), 0);
      this.firstMoment = tf.zeros([total]).variable(false);
      this.secondMoment = tf.zeros([total]).variable(false);
    }
    return [this.firstMoment, this.secondMoment];
  }

  /**
   * Like tf.train.adam, moments belong to positions, not names: a resumed run's variables
   * have new auto-generated names, and the slot names stay the ones the moments were
   * created (or loaded) with. What must match is each position's shape.
   */
  private checkLayout(variables: tf.Variable[]): Layout {
    const shapes = variables.map((variable) => variable.shape.slice());
    if (!this.layout) {
      this.layout = { names: variables.map((variable) => variable.name), shapes };
      return this.layout;
    }
    const expected = this.layout.shapes;
    const same =
      expected.length === shapes.length &&
      shapes.every((shape, i) => tf.util.arraysEqual(shape, expected[i] as number[]));
    if (!same) {
      throw new Error(
        `FlatAdam: this step's parameter shapes (${describe(shapes)}) differ from the ones its moments were made for (${describe(expected)}); it updates one fixed list of parameters in one order`,
      );
    }
    return this.layout;
  }

  private disposeMoments(): void {
    tf.dispose(this.weightViews);
    this.weightViews = [];
    this.firstMoment?.dispose();
    this.secondMoment?.dispose();
    this.firstMoment = null;
    this.secondMoment = null;
  }
}

function flatten(tensors: tf.Tensor[]): tf.Tensor1D {
  return tf.concat(tensors.map((tensor) => tf.reshape(tensor, [-1]))) as tf.Tensor1D;
}

function describe(shapes: number[][]): string {
  const shown = shapes
    .slice(0, 4)
    .map((shape) => `[${shape.join(', ')}]`)
    .join(', ');
  return shapes.length > 4 ? `${shapes.length} tensors: ${shown}, ...` : shown;
}

/** Parameter names weight decay applies to: weight matrices, not positions, biases, norms or gates. */
export function decayedParameterNames(parameters: ReadonlyMap<string, tf.Variable>): Set<string> {
  const names = new Set<string>();
  for (const [name, variable] of parameters) {
    if (variable.rank < 2) continue;
    if (/(timeEmbedding|spaceEmbedding|question\.position)$/.test(name)) continue;
    names.add(variable.name);
  }
  return names;
}

/** The optimizer a run trains with: AdamW as the config's decay and clipping say, over `parameters`. */
export function trainingOptimizer(
  config: TrainConfig,
  parameters: ReadonlyMap<string, tf.Variable>,
): FlatAdam {
  const optimisation = optimisationOf(config);
  const decayed = decayedParameterNames(parameters);
  return new FlatAdam(config.lr, 0.9, 0.999, undefined, {
    weightDecay: optimisation.weightDecay,
    clipNorm: optimisation.clipNorm,
    decays: (variable) => decayed.has(variable.name),
  });
}
