/** Hidden widths when none are given: MNIST's 128, and scikit-learn's MLPClassifier's 100 for a table. */
export const DEFAULT_HIDDEN = { images: 128, table: 100 };

/**
 * A table's defaults, scikit-learn's MLPClassifier's: Adam at 0.001, a batch of min(200, rows), 200 epochs (max_iter).
 * More steps on a small noisy table only overfit: 2000 steps on the diabetes table gave a test R² below 0, 200 epochs
 * 0.30 (bench/NOTES.md).
 */
export const TABLE_EPOCHS = 200;
export const TABLE_BATCH = 200;
/** A table's default batch for `rows` training rows. */
export const tableBatch = (rows: number) => Math.min(TABLE_BATCH, rows);
