/**
 * In-place iterative radix-2 FFT on separate real / imaginary arrays. Twiddles and the
 * bit-reversal permutation are computed once per size and reused, since the fbank runs
 * thousands of same-size transforms per video.
 */
interface FftPlan {
  size: number;
  cos: Float64Array;
  sin: Float64Array;
  reversed: Uint32Array;
}

const plans = new Map<number, FftPlan>();

function planFor(size: number): FftPlan {
  let plan = plans.get(size);
  if (plan) return plan;
  if (size < 1 || (size & (size - 1)) !== 0)
    throw new Error(`FFT size must be a power of two, got ${size}`);
  const bits = Math.log2(size);
  const reversed = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
    reversed[i] = r;
  }
  const cos = new Float64Array(size / 2);
  const sin = new Float64Array(size / 2);
  for (let i = 0; i < size / 2; i++) {
    cos[i] = Math.cos((-2 * Math.PI * i) / size);
    sin[i] = Math.sin((-2 * Math.PI * i) / size);
  }
  plan = { size, cos, sin, reversed };
  plans.set(size, plan);
  return plan;
}

/** Forward transform X[k] = sum_n x[n] e^{-2 pi i k n / N}, in place. */
export function fft(real: Float64Array, imag: Float64Array): void {
  const size = real.length;
  const { cos, sin, reversed } = planFor(size);
  for (let i = 0; i < size; i++) {
    const j = reversed[i] as number;
    if (j > i) {
      const tr = real[i] as number;
      real[i] = real[j] as number;
      real[j] = tr;
      const ti = imag[i] as number;
      imag[i] = imag[j] as number;
      imag[j] = ti;
    }
  }
  for (let half = 1; half < size; half *= 2) {
    const stride = size / (2 * half);
    for (let start = 0; start < size; start += 2 * half) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * stride] as number;
        const wi = sin[k * stride] as number;
        const a = start + k;
        const b = a + half;
        const br = real[b] as number;
        const bi = imag[b] as number;
        const xr = br * wr - bi * wi;
        const xi = br * wi + bi * wr;
        real[b] = (real[a] as number) - xr;
        imag[b] = (imag[a] as number) - xi;
        real[a] = (real[a] as number) + xr;
        imag[a] = (imag[a] as number) + xi;
      }
    }
  }
}

interface RealPlan {
  half: Float64Array[];
  cos: Float64Array;
  sin: Float64Array;
}
const realPlans = new Map<number, RealPlan>();

/**
 * |X[k]|^2 for k = 0..N/2 of a real signal of length N, through one complex FFT of size N/2
 * (even samples as the real part, odd as the imaginary part, then split into the even and
 * odd spectra): half the work of a complex FFT of size N.
 */
export function realPowerSpectrum(signal: Float64Array, power: Float64Array): void {
  const size = signal.length;
  const half = size / 2;
  let plan = realPlans.get(size);
  if (!plan) {
    const cos = new Float64Array(half + 1);
    const sin = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      cos[k] = Math.cos((-2 * Math.PI * k) / size);
      sin[k] = Math.sin((-2 * Math.PI * k) / size);
    }
    plan = { half: [new Float64Array(half), new Float64Array(half)], cos, sin };
    realPlans.set(size, plan);
  }
  const [re, im] = plan.half as [Float64Array, Float64Array];
  for (let n = 0; n < half; n++) {
    re[n] = signal[2 * n]!;
    im[n] = signal[2 * n + 1]!;
  }
  fft(re, im);
  for (let k = 0; k <= half; k++) {
    const a = k % half;
    const b = (half - k) % half;
    // Even spectrum E = (Z[k] + conj Z[N/2-k]) / 2, odd spectrum O = (Z[k] - conj Z[N/2-k]) / 2i.
    const er = (re[a]! + re[b]!) / 2;
    const ei = (im[a]! - im[b]!) / 2;
    const or = (im[a]! + im[b]!) / 2;
    const oi = -(re[a]! - re[b]!) / 2;
    const wr = plan.cos[k]!;
    const wi = plan.sin[k]!;
    const xr = er + wr * or - wi * oi;
    const xi = ei + wr * oi + wi * or;
    power[k] = xr * xr + xi * xi;
  }
}
