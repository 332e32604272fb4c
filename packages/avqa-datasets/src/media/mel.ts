/** Kaldi's mel scale (natural log, 1127): what torchaudio.compliance.kaldi uses. */
export function melScale(hz: number): number {
  return 1127 * Math.log(1 + hz / 700);
}

export function inverseMelScale(mel: number): number {
  return 700 * (Math.exp(mel / 1127) - 1);
}

/**
 * Kaldi's triangular mel filter bank (no VTLN), as torchaudio's get_mel_banks builds it:
 * `melBins` triangles equally spaced on the mel scale between lowFreq and highFreq
 * (highFreq <= 0 means Nyquist + highFreq), evaluated at the FFT bin centres 0..N/2-1
 * in mel; the Nyquist bin gets weight 0. Returns [melBins, fftSize / 2 + 1] row-major.
 */
export function melFilterBank(
  melBins: number,
  fftSize: number,
  sampleRate: number,
  lowFreq: number,
  highFreq: number,
): Float32Array {
  const nyquist = sampleRate / 2;
  const high = highFreq <= 0 ? highFreq + nyquist : highFreq;
  if (!(lowFreq >= 0 && lowFreq < nyquist && high > lowFreq && high <= nyquist)) {
    throw new Error(
      `mel banks: need 0 <= lowFreq < highFreq <= Nyquist, got low ${lowFreq}, high ${high}, Nyquist ${nyquist}`,
    );
  }
  const bins = fftSize / 2;
  const binWidth = sampleRate / fftSize;
  const melLow = melScale(lowFreq);
  const melDelta = (melScale(high) - melLow) / (melBins + 1);
  const weights = new Float32Array(melBins * (bins + 1));
  for (let m = 0; m < melBins; m++) {
    const left = melLow + m * melDelta;
    const centre = melLow + (m + 1) * melDelta;
    const right = melLow + (m + 2) * melDelta;
    for (let k = 0; k < bins; k++) {
      const mel = melScale(binWidth * k);
      const up = (mel - left) / (centre - left);
      const down = (right - mel) / (right - centre);
      weights[m * (bins + 1) + k] = Math.max(0, Math.min(up, down));
    }
  }
  return weights;
}
