/** The CLI's CSV files: which --data paths are tables; reading one is src/data/csv-file.ts's. */
export { readCsvFile } from '../data/csv-file.js';

/** A --data path is a table when it names a .csv file; anything else is an MNIST-style folder. */
export const isTableFile = (file: string | undefined): boolean => file !== undefined && /\.csv$/i.test(file);

/** Column names for a message: "a", "b", "c". */
export const columnList = (names: string[]): string => names.map((name) => `"${name}"`).join(', ');
