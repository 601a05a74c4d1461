/** What the Node side asks of the race page, and what the page leaves on window.stepsRace. */
import type { StepsWorkloadResult } from '../steps.js';

export interface PageRace {
  steps: string[];
  contenders?: string[];
  rounds: number;
  roundMs: number;
}

export type PageRaceResult =
  | { ok: true; where: string; crossOriginIsolated: boolean; workloads: StepsWorkloadResult[] }
  | { ok: false; error: string };
