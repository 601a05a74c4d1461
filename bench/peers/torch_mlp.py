#!/usr/bin/env python3
"""The PyTorch peer of bench/bench.ts: the same workloads and matmuls, on CUDA, in fp32 with TF32 off.

    python3 bench/peers/torch_mlp.py --spec '{"workloads": [...], "matmul": [4096], "epochs": 5}'

Prints one JSON object on stdout. Without torch or CUDA it prints {"error": "..."} and exits 3, so the benchmark
can say so in one line. Every workload runs on synthetic data already on the GPU (random bytes, random labels, as
bench.ts uses): per step, gather the batch through the epoch's permutation, normalise, forward, cross-entropy,
backward, the optimiser step (SGD unless the spec names another, with PyTorch's defaults at lr 0.01, as bench.ts
trains); the epoch's mean loss is read back once at the end, as ours is. Timing: one warm-up epoch, then
torch.cuda.synchronize() around each timed epoch, median. Matmuls: CUDA events around repeated torch.mm calls,
rotating input sets, warm-up first, median.
"""
import argparse
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

MEAN, STD = 0.1307, 0.3081


def make_optimizer(name, params):
    lr = 0.01
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=name == "nesterov")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    fail(f"unknown optimizer {name}")


def workload(spec, epochs, device, optimizer):
    layers, batch = spec["layers"], spec["batch"]
    gen = torch.Generator(device=device).manual_seed(1)
    pixels = torch.randint(0, 256, (spec["trainSamples"], layers[0]), dtype=torch.uint8, device=device, generator=gen)
    labels = torch.randint(0, 10, (spec["trainSamples"],), device=device, generator=gen)
    modules = []
    for i in range(len(layers) - 1):
        modules.append(torch.nn.Linear(layers[i], layers[i + 1]))
        if i + 2 < len(layers):
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules).to(device)
    opt = make_optimizer(optimizer, model.parameters())
    steps = spec["trainSamples"] // batch

    def epoch():
        perm = torch.randperm(spec["trainSamples"], device=device, generator=gen)
        total = torch.zeros((), device=device)
        for s in range(steps):
            idx = perm[s * batch:(s + 1) * batch]
            x = (pixels[idx].float() / 255 - MEAN) / STD
            loss = F.cross_entropy(model(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        return (total / steps).item()

    epoch()  # warm-up: cuBLAS handles, kernels, the caching allocator
    times = []
    loss = float("nan")
    for _ in range(epochs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        loss = epoch()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    ms = statistics.median(times)
    return {"name": spec["name"], "epochMs": ms, "epochSamples": times, "samplesPerSec": steps * batch / (ms / 1000),
            "loss": loss}


def matmul(size, form, device):
    m = n = k = size
    sets = max(1, min(8, -(-(128 << 20) // ((m * k + n * k) * 4))))
    gen = torch.Generator(device=device).manual_seed(2)
    shapes = {"nt": ((m, k), (n, k)), "tn": ((k, m), (k, n)), "nn": ((m, k), (k, n))}[form]
    inputs = [(torch.rand(shapes[0], device=device, generator=gen) * 2 - 1,
               torch.rand(shapes[1], device=device, generator=gen) * 2 - 1) for _ in range(sets)]
    op = {"nt": lambda a, b: a @ b.t(), "tn": lambda a, b: a.t() @ b, "nn": lambda a, b: a @ b}[form]
    for a, b in inputs:
        op(a, b)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    op(*inputs[0])
    end.record()
    torch.cuda.synchronize()
    reps = max(sets, min(500, round(50 / max(start.elapsed_time(end), 1e-3))))
    times = []
    for _ in range(7):
        start.record()
        for r in range(reps):
            op(*inputs[r % sets])
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / reps)
    ms = statistics.median(times)
    return {"form": form, "m": m, "n": n, "k": k, "ms": ms, "tflops": 2 * m * n * k / (ms * 1e9), "repetitions": reps}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True, help="JSON: workloads, matmul sizes, epochs")
    spec = json.loads(parser.parse_args().spec)
    if not torch.cuda.is_available():
        fail(f"torch {torch.__version__} sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda")
    out = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device),
        "tf32": False,
        "workloads": [workload(w, spec.get("epochs", 5), device, spec.get("optimizer", "sgd")) for w in spec.get("workloads", [])],
        "matmul": [matmul(size, form, device) for size in spec.get("matmul", []) for form in ("nt", "tn", "nn")],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
