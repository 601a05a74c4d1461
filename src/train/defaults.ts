/**
 * The defaults that depend on the data: the hidden widths, and a table's epochs and batch, which the settings table
 * (src/train/settings.ts) gives the CLI, the library's MLP and the page.
 */
/** Hidden widths when none are given: MNIST's 128, and scikit-learn's MLPClassifier's 100 for a table. */
export const DEFAULT_HIDDEN = { images: 128, table: 100 };

/**
 * A table's defaults, scikit-learn's MLPClassifier and MLPRegressor's: Adam at 0.001, a batch of min(200, training
 * rows) and 200 epochs (its max_iter) of floor(rows / batch) steps. More steps on a small noisy table only overfit:
 * 2000 steps on scikit-learn's diabetes table gave a test R² below 0, 200 epochs 0.30 (bench/NOTES.md). Images keep
 * plain SGD at 0.1, batch 64, one epoch (DEFAULT_TRAIN_OPTIONS).
 */
export const TABLE_EPOCHS = 200;
export const TABLE_BATCH = 200;
/** A table's default batch for `rows` training rows. */
export const tableBatch = (rows: number) => Math.min(TABLE_BATCH, rows);
