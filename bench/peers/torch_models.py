#!/usr/bin/env python3
"""The PyTorch peer of `bench.ts --models`: K models of one network trained one after another and together, on CUDA.

    python3 bench/peers/torch_models.py --spec '{"workloads": [...], "ks": [1, 16], "rates": {"1": [0.003],
        "16": [...]}, "repetitions": 5}'

The same workloads as bench/models.ts (A's 784-128-10 network at batch 64 on random byte images, normalised as
MNIST's; a 13-16-3 table net at batch 16 on random non-zero floats), the same K and learning rates (Adam), a seed per
model, every model its own order each epoch (drawn before the clock starts).

One after another: a Python loop over K nn.Sequential models, each with its own torch.optim.Adam, an epoch each.
Together: torch.func.stack_module_state stacks the K models' parameters, vmap(grad_and_value(...)) takes every
model's step in one call, and Adam is applied to the stacked tensors with each model's own rate (torch.optim.Adam's
arithmetic, written out, since one parameter group has one rate). torch.func needs torch 2.0 or newer; with an older
torch, together is reported as missing, with the reason, and one after another is still measured.

Timing: each contender warms up (two epochs at least, then up to 1 s), then the two alternate sample for sample (a
sample: as many epochs as make ~200 ms), torch.cuda.synchronize() around each, the epoch's losses read back once at
its end; the median sample over K is the seconds per model-epoch. Prints one JSON object on stdout. Without torch or
CUDA it prints {"error": "..."} and exits 3, so the benchmark can say so in one line.
"""
import argparse
import copy
import json
import statistics
import sys
import time


def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(3)


try:
    import torch
    import torch.nn.functional as F
except Exception as error:  # noqa: BLE001 - any import failure means no peer
    fail(f"cannot import torch ({type(error).__name__}: {error})")

try:
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap

    TOGETHER_MISSING = None
except Exception as error:  # noqa: BLE001 - an older torch: one after another only
    TOGETHER_MISSING = f"torch {torch.__version__} has no torch.func ({type(error).__name__})"

MEAN, STD = 0.1307, 0.3081
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
WARM_UP_S, SAMPLE_S = 1.0, 0.2


def network(layers):
    modules = []
    for i in range(len(layers) - 1):
        modules.append(torch.nn.Linear(layers[i], layers[i + 1]))
        if i + 2 < len(layers):
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def models(layers, k, device):
    """K networks, model i initialised from seed 100 + i: the same in both contenders."""
    out = []
    for i in range(k):
        torch.manual_seed(100 + i)
        out.append(network(layers).to(device))
    return out


class Data:
    """The workload's rows on the device; batch(idx) gathers rows by index (any shape) and normalises images."""

    def __init__(self, w, device):
        gen = torch.Generator(device=device).manual_seed(1)
        rows, features, classes = w["rows"], w["layers"][0], w["layers"][-1]
        self.images = w["kind"] == "images"
        if self.images:
            self.inputs = torch.randint(0, 256, (rows, features), dtype=torch.uint8, device=device, generator=gen)
        else:
            self.inputs = torch.rand((rows, features), device=device, generator=gen) * 2 - 1
            self.inputs[self.inputs == 0] = 0.5  # no exact zeros
        self.labels = torch.randint(0, classes, (rows,), device=device, generator=gen)

    def batch(self, idx):
        x = self.inputs[idx]
        return ((x.float() / 255 - MEAN) / STD if self.images else x), self.labels[idx]


class OneAfterAnother:
    def __init__(self, w, rates, data, device):
        self.nets = models(w["layers"], len(rates), device)
        self.opts = [torch.optim.Adam(net.parameters(), lr=lr) for net, lr in zip(self.nets, rates)]
        self.data, self.batch, self.device = data, w["batch"], device
        self.steps = w["rows"] // w["batch"]

    def epoch(self, orders):
        """One epoch of every model, one model after another: their mean losses, on the device."""
        losses = []
        for net, opt, order in zip(self.nets, self.opts, orders):
            total = torch.zeros((), device=self.device)
            for s in range(self.steps):
                x, y = self.data.batch(order[s * self.batch:(s + 1) * self.batch])
                loss = F.cross_entropy(net(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.detach()
            losses.append(total / self.steps)
        return torch.stack(losses)


class Together:
    def __init__(self, w, rates, data, device):
        nets = models(w["layers"], len(rates), device)
        params, self.buffers = stack_module_state(nets)
        self.params = {name: p.detach().clone() for name, p in params.items()}
        self.m = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.v = {name: torch.zeros_like(p) for name, p in self.params.items()}
        self.rates = torch.tensor(rates, dtype=torch.float32, device=device)
        base = copy.deepcopy(nets[0]).to("meta")

        def loss(params, buffers, x, y):
            return F.cross_entropy(functional_call(base, (params, buffers), (x,)), y)

        self.step_of = vmap(grad_and_value(loss))
        self.data, self.batch, self.device, self.k = data, w["batch"], device, len(rates)
        self.steps = w["rows"] // w["batch"]
        self.t = 0

    def adam(self, grads):
        """torch.optim.Adam's update (no weight decay, not amsgrad) on the stacked tensors, each model's own rate."""
        self.t += 1
        correction1 = 1 - BETA1 ** self.t
        correction2 = 1 - BETA2 ** self.t
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m.mul_(BETA1).add_(g, alpha=1 - BETA1)
            v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
            denom = (v.sqrt() / correction2 ** 0.5).add_(EPS)
            rate = (self.rates / correction1).view(-1, *([1] * (p.dim() - 1)))
            p.sub_(rate * m / denom)

    def epoch(self, orders):
        """One epoch of all K models in each call: their mean losses, on the device."""
        total = torch.zeros(self.k, device=self.device)
        for s in range(self.steps):
            x, y = self.data.batch(orders[:, s * self.batch:(s + 1) * self.batch])
            grads, losses = self.step_of(self.params, self.buffers, x, y)
            self.adam(grads)
            total += losses.detach()
        return total / self.steps


def timed(contender, orders):
    """Seconds of one epoch of every model, from the start to its losses read back; and those losses."""
    torch.cuda.synchronize()
    start = time.perf_counter()
    losses = contender.epoch(orders).tolist()
    return time.perf_counter() - start, losses


def measure(w, rates, repetitions, device):
    k, rows = len(rates), w["rows"]
    data = Data(w, device)
    contenders = {"oneAfterAnother": OneAfterAnother(w, rates, data, device)}
    if TOGETHER_MISSING is None:
        contenders["together"] = Together(w, rates, data, device)
    gens = {name: torch.Generator(device=device).manual_seed(2) for name in contenders}
    epochs_run = {name: 0 for name in contenders}
    last_losses = {}

    def orders(name):
        return torch.stack([torch.randperm(rows, device=device, generator=gens[name]) for _ in range(k)])

    def sample(name, epochs):
        drawn = [orders(name) for _ in range(epochs)]
        seconds = 0.0
        for order in drawn:
            s, last_losses[name] = timed(contenders[name], order)
            seconds += s
        epochs_run[name] += epochs
        return seconds / epochs

    def warm_up(name):
        """Two epochs at least, then up to WARM_UP_S: the mean seconds of the epochs after the first."""
        spent, after_first = sample(name, 1), []
        while not after_first or spent < WARM_UP_S:
            after_first.append(sample(name, 1))
            spent += after_first[-1]
        return statistics.mean(after_first)

    last = max(warm_up(name) for name in contenders)
    # Both train the same models on the same orders: equal epochs, so their last losses pair up.
    for name in contenders:
        while epochs_run[name] < max(epochs_run.values()):
            sample(name, 1)
    per_sample = max(1, round(SAMPLE_S / last))
    times = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(repetitions):
        for name in names if r % 2 == 0 else names[::-1]:
            times[name].append(sample(name, per_sample))
    seconds = {name: statistics.median(t) / k for name, t in times.items()}
    together = seconds.get("together")
    paired = zip(last_losses["oneAfterAnother"], last_losses.get("together") or [])
    difference = max((abs(a - b) / max(abs(a), 1e-30) for a, b in paired), default=None)
    return {
        "workload": w["name"],
        "k": k,
        "oneAfterAnother": seconds["oneAfterAnother"],
        "together": together,
        "speedup": seconds["oneAfterAnother"] / together if together else None,
        "epochsPerSample": per_sample,
        "lossDifference": difference,
        "losses": {"oneAfterAnother": last_losses["oneAfterAnother"], "together": last_losses.get("together")},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True, help="JSON: workloads, ks, rates per K, repetitions")
    spec = json.loads(parser.parse_args().spec)
    if not torch.cuda.is_available():
        fail(f"torch {torch.__version__} sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")
    rows = [measure(w, spec["rates"][str(k)], spec.get("repetitions", 5), device)
            for w in spec["workloads"] for k in spec["ks"]]
    out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(device),
           "together": None if TOGETHER_MISSING else "torch.func.vmap", "rows": rows}
    if TOGETHER_MISSING:
        out["togetherMissing"] = TOGETHER_MISSING
    print(json.dumps(out))


if __name__ == "__main__":
    main()
