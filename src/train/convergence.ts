/**
 * Whether a run's training loss had settled by its end, by scikit-learn's rule for its ConvergenceWarning: the loss
 * is still falling where one of the last CONVERGENCE.epochs epochs lowered the lowest loss before it by more than
 * CONVERGENCE.tolerance. An absolute tolerance, as scikit-learn's, lets a loss that creeps towards zero (a classifier
 * on separable data) count as settled.
 */
import type { Naming } from '../errors.js';

/** scikit-learn's n_iter_no_change and tol; and how far above its lowest a held-out loss may end before it counts. */
export const CONVERGENCE = { epochs: 10, tolerance: 1e-4, overfit: 0.01 };

export interface Convergence {
  /** False where the loss was still falling at the end of the last epoch. */
  converged: boolean;
  /** Epochs looked at: the last CONVERGENCE.epochs, or all but the first in a shorter run. */
  epochs: number;
  /** How much lower the last epochs' lowest loss is than the lowest before them, as a fraction of that (0..1). */
  drop: number;
  /**
   * Where the held-out loss (validation's, else the test set's) ended more than CONVERGENCE.overfit above its lowest:
   * the set, and by what fraction. Training longer would then make the model worse, so the advice differs.
   */
  heldOutRise?: { set: 'validation' | 'test'; rise: number };
}

/**
 * The convergence of `history`'s training loss (the training set's loss evaluated after each epoch where there is
 * one, steadier than the mean of the epoch's steps); undefined for a run of one epoch, which has nothing to compare.
 */
export function convergence(
  history: readonly { trainLoss: number; trainEvalLoss?: number; valLoss?: number; testLoss?: number }[],
): Convergence | undefined {
  const losses = history.map((record) => record.trainEvalLoss ?? record.trainLoss);
  if (losses.length < 2) return undefined;
  const epochs = Math.min(CONVERGENCE.epochs, losses.length - 1);
  let lowest = Math.min(...losses.slice(0, losses.length - epochs));
  const before = lowest;
  let falling = false;
  for (const loss of losses.slice(losses.length - epochs)) {
    if (loss < lowest - CONVERGENCE.tolerance) falling = true;
    lowest = Math.min(lowest, loss);
  }
  const drop = before > 0 ? (before - lowest) / before : 0;
  return { converged: !falling, epochs, drop, ...heldOutRise(history) };
}

function heldOutRise(
  history: readonly { valLoss?: number; testLoss?: number }[],
): Pick<Convergence, 'heldOutRise'> | undefined {
  const set = history.every((r) => r.valLoss !== undefined) ? 'validation' : 'test';
  const losses = history.map((r) => (set === 'validation' ? r.valLoss : r.testLoss));
  if (losses.some((loss) => loss === undefined)) return undefined;
  const lowest = Math.min(...(losses as number[]));
  const rise = lowest > 0 ? (losses[losses.length - 1]! - lowest) / lowest : 0;
  return rise > CONVERGENCE.overfit ? { heldOutRise: { set, rise } } : undefined;
}

/** The one line that says a run has not converged and what to do, naming the settings by `name`. */
export function convergenceWarning(c: Convergence, name: Naming): string {
  const over = c.epochs === 1 ? 'in the last epoch' : `over the last ${c.epochs} epochs`;
  const falling = `the training loss was still falling at the end (${(100 * c.drop).toFixed(1)}% lower ${over})`;
  if (c.heldOutRise) {
    const { set, rise } = c.heldOutRise;
    return (
      `${falling}, while the ${set} loss ended ${(100 * rise).toFixed(1)}% above its lowest: the model overfits; ` +
      `stop earlier (${name('earlyStopping')}) or regularise (${name('weightDecay')}, ${name('dropout')})`
    );
  }
  return `${falling}: train longer (${name('epochs')}) or faster (a larger ${name('learningRate')})`;
}
