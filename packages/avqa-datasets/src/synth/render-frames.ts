import { INSTRUMENTS, type Shape } from './instruments.js';
import { createRandom, deriveSeed } from './random.js';
import type { Scene, SceneInstrument } from './scene.js';

export interface FrameRenderOptions {
  /** Frame height and width in pixels. */
  height: number;
  width: number;
  /** 0..1: amplitude of per-pixel noise (1 = +-48 levels). */
  noise: number;
  seed: number;
}

/** A clip of frames: uint8 RGB, shape [T, H, W, 3]. */
export interface RenderedFrames {
  data: Uint8Array;
  shape: [number, number, number, number];
}

/** Brightness of a silent instrument relative to a playing one. */
const SILENT_BRIGHTNESS = 0.4;

/**
 * One frame per second of the scene (the 1 fps the official preprocessing samples).
 * A playing instrument is drawn at full colour, bobbing up and down from second to second,
 * with a white "sound" bar above it; a silent one is dimmed and still.
 */
export function renderFrames(scene: Scene, options: FrameRenderOptions): RenderedFrames {
  const { height, width } = options;
  if (!(Number.isInteger(height) && Number.isInteger(width) && height >= 16 && width >= 16)) {
    throw new Error(`frame size must be integers >= 16, got ${height}x${width}`);
  }
  const background = renderBackground(scene.indoor, height, width);
  const frameBytes = height * width * 3;
  const data = new Uint8Array(scene.seconds * frameBytes);
  const rng = createRandom(deriveSeed(options.seed, 0xf4a3e5));
  const noiseAmplitude = 96 * options.noise;
  const canvas = new Float32Array(frameBytes);
  for (let t = 0; t < scene.seconds; t++) {
    canvas.set(background);
    for (const instrument of scene.instruments) {
      if (instrument.visible) drawInstrument(canvas, height, width, instrument, t);
    }
    const offset = t * frameBytes;
    for (let i = 0; i < frameBytes; i++) {
      const value =
        (canvas[i] as number) + (noiseAmplitude > 0 ? (rng.next() - 0.5) * noiseAmplitude : 0);
      data[offset + i] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    }
  }
  return { data, shape: [scene.seconds, height, width, 3] };
}

/** Indoor: a beige wall over a brown floor. Outdoor: a blue sky gradient over grass. */
function renderBackground(indoor: boolean, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width * 3);
  const horizon = Math.round(height * 0.7);
  for (let y = 0; y < height; y++) {
    let colour: [number, number, number];
    if (indoor) colour = y < horizon ? [150, 135, 115] : [95, 65, 40];
    else {
      const k = y / horizon;
      colour = y < horizon ? [90 + 60 * k, 140 + 50 * k, 230] : [60, 140, 50];
    }
    for (let x = 0; x < width; x++) out.set(colour, (y * width + x) * 3);
  }
  return out;
}

/**
 * Visits every pixel (x, y) of `instrument`'s shape in second t, as drawn: the geometry the
 * renderer and the perception targets share, so a target never disagrees with a frame.
 */
export function forEachInstrumentPixel(
  instrument: SceneInstrument,
  t: number,
  height: number,
  width: number,
  visit: (x: number, y: number) => void,
): { cx: number; cy: number; halfWidth: number; halfHeight: number } {
  const playing = instrument.playing[t] === true;
  const { shape } = INSTRUMENTS[instrument.name].look;
  const bob = playing ? (t % 2 === 0 ? -1 : 1) : 0;
  const cx = instrument.x * width;
  const cy = instrument.y * height + bob;
  const halfHeight = (instrument.size * height) / 2;
  const halfWidth = Math.max(2.5, 0.075 * width);
  const x0 = Math.max(0, Math.floor(cx - halfWidth));
  const x1 = Math.min(width - 1, Math.ceil(cx + halfWidth));
  const y0 = Math.max(0, Math.floor(cy - halfHeight));
  const y1 = Math.min(height - 1, Math.ceil(cy + halfHeight));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = (x + 0.5 - cx) / halfWidth;
      const dy = (y + 0.5 - cy) / halfHeight;
      if (insideShape(shape, dx, dy)) visit(x, y);
    }
  }
  return { cx, cy, halfWidth, halfHeight };
}

function drawInstrument(
  canvas: Float32Array,
  height: number,
  width: number,
  instrument: SceneInstrument,
  t: number,
) {
  const playing = instrument.playing[t] === true;
  const { colour } = INSTRUMENTS[instrument.name].look;
  const brightness = playing ? 1 : SILENT_BRIGHTNESS;
  const { cx, cy, halfWidth, halfHeight } = forEachInstrumentPixel(
    instrument,
    t,
    height,
    width,
    (x, y) => {
      const p = (y * width + x) * 3;
      canvas[p] = colour[0] * brightness;
      canvas[p + 1] = colour[1] * brightness;
      canvas[p + 2] = colour[2] * brightness;
    },
  );
  if (playing) {
    const barY = Math.round(cy - halfHeight - 3);
    if (barY >= 0) {
      for (
        let x = Math.max(0, Math.round(cx - halfWidth / 2));
        x <= Math.min(width - 1, Math.round(cx + halfWidth / 2));
        x++
      ) {
        canvas.set([255, 255, 255], (barY * width + x) * 3);
      }
    }
  }
}

/** dx, dy in [-1, 1] across the instrument's bounding box. */
export function insideShape(shape: Shape, dx: number, dy: number): boolean {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  if (ax > 1 || ay > 1) return false;
  switch (shape) {
    case 'disc':
      return dx * dx + dy * dy <= 1;
    case 'square':
      return ax <= 0.85 && ay <= 0.6;
    case 'triangle':
      return ax <= (dy + 1) / 2;
    case 'diamond':
      return ax + ay <= 1;
    case 'ring': {
      const r2 = dx * dx + dy * dy;
      return r2 <= 1 && r2 >= 0.3;
    }
    case 'cross':
      return ax <= 0.3 || ay <= 0.2;
    case 'tall-bar':
      return ax <= 0.45;
    case 'wide-bar':
      return ay <= 0.3;
  }
}
