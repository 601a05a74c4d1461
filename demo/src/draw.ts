/**
 * The drawing pad: white ink on a transparent canvas (the page shows it on a dark square, as MNIST's digits are
 * light on dark), drawn with mouse, pen or touch through pointer events. Strokes are round lines as thick as a
 * felt pen relative to the pad, which preprocessing turns into MNIST's 2–3 pixel strokes.
 */
import { inkFromRgba } from '../../src/data/digit.js';

/** Stroke width as a fraction of the pad's side. */
const PEN = 0.075;

export class DrawingPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private inked = false;

  /** `onChange` runs after every stroke segment and on clear; it should be cheap or throttle itself. */
  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    const side = Math.round(canvas.clientWidth * Math.min(2, window.devicePixelRatio || 1)) || 280;
    canvas.width = side;
    canvas.height = side;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    canvas.addEventListener('pointerdown', (event) => this.down(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    for (const type of ['pointerup', 'pointercancel'] as const) canvas.addEventListener(type, () => (this.last = null));
  }

  get isEmpty(): boolean {
    return !this.inked;
  }

  /** Ink coverage 0..1, [height, width] row-major. */
  ink(): { ink: Float32Array; width: number; height: number } {
    const { width, height } = this.canvas;
    return { ink: inkFromRgba(this.ctx.getImageData(0, 0, width, height).data, width, height), width, height };
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
    this.canvas.dataset.empty = 'true';
    this.last = null;
    this.onChange();
  }

  private point(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  private down(event: PointerEvent): void {
    if (event.button !== 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.segment(this.last, this.last); // a tap leaves a dot
  }

  private move(event: PointerEvent): void {
    if (!this.last) return;
    event.preventDefault();
    // Browsers coalesce fast pointer moves into one event: draw through every point for smooth curves.
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length ? events : [event]) {
      const next = this.point(e);
      this.segment(this.last, next);
      this.last = next;
    }
  }

  private segment(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = PEN * this.canvas.width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    this.inked = true;
    this.canvas.dataset.empty = 'false';
    this.onChange();
  }
}
