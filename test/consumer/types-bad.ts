// A misspelt option: `tsc --noEmit --strict` must refuse it and name it.
import { MLP } from 'webgpu-mlp';

const model = await MLP.create({ inputs: 4, outputs: 2, task: 'classification', backnd: 'cpu' });
await model.fit([[0, 1, 2, 3]], [1], { epocs: 3 });
