#!/usr/bin/env python3
"""A model trained on a table, used from PyTorch with nothing but its file: do PyTorch's predictions equal ours?

    python3 bench/peers/torch_table.py predict --model model.safetensors --data rows.csv [--out predictions.csv]
    python3 bench/peers/torch_table.py check --model model.safetensors --data rows.csv [--backend cpu]

predict: reads the model file (safetensors: PyTorch's nn.Sequential names, our __metadata__), standardises the
feature columns it names with the stored float32 mean and std, runs the nn.Sequential, and writes what our predict
writes: the class and p(class) per class, or a regression's targets with their standardisation undone.

check: runs our `predict` on the same file too and compares the two CSV files: the same classes, and probabilities or
targets within --tolerance (relative to the largest magnitude of the column); exits 1 when they differ by more.

Needs torch and numpy (Debian: python3-torch); CPU only.
"""
import argparse
import csv
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACTIVATIONS = {"relu": torch.nn.ReLU, "leaky-relu": lambda: torch.nn.LeakyReLU(0.01), "sigmoid": torch.nn.Sigmoid,
               "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}


def read_model(path):
    """The tensors and __metadata__ of a safetensors file (safetensors.torch.load_file reads the tensors the same)."""
    data = open(path, "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    metadata = header.pop("__metadata__")
    state = {name: torch.tensor(np.frombuffer(body[a:b], dtype="<f4").reshape(t["shape"]).copy())
             for name, t in header.items() for a, b in [t["data_offsets"]]}
    return state, metadata


def model_of(state, metadata):
    layers = [int(n) for n in metadata["layers"].split(",")]
    modules = []
    for i in range(len(layers) - 1):
        modules.append(torch.nn.Linear(layers[i], layers[i + 1]))
        if i + 2 < len(layers):
            modules.append(ACTIVATIONS[metadata["activation"]]())
    model = torch.nn.Sequential(*modules)
    model.load_state_dict({name: t for name, t in state.items() if not name.startswith(("optimizer.", "best."))})
    return model.eval()


def predict(model_path, data_path):
    """Our predict's CSV rows, computed by PyTorch from the model file alone."""
    state, meta = read_model(model_path)
    features = json.loads(meta["features"])
    mean = torch.tensor(json.loads(meta["feature_mean"]), dtype=torch.float32)
    std = torch.tensor(json.loads(meta["feature_std"]), dtype=torch.float32)
    with open(data_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = [name.strip() for name in rows[0]]
    columns = [header.index(name) for name in features]
    x = torch.tensor([[float(row[c]) for c in columns] for row in rows[1:] if row], dtype=torch.float32)
    with torch.no_grad():
        out = model_of(state, meta)((x - mean) / std)
    targets = json.loads(meta["targets"])
    if meta.get("task") == "regression":
        scale = torch.tensor(json.loads(meta["target_std"]), dtype=torch.float32)
        shift = torch.tensor(json.loads(meta["target_mean"]), dtype=torch.float32)
        return [targets] + [[repr(float(v)) for v in row] for row in out * scale + shift]
    classes = json.loads(meta["classes"])
    values = out if meta["loss"] == "mse" else torch.softmax(out.double(), dim=1)
    name = "output" if meta["loss"] == "mse" else "p"
    return [[targets[0]] + [f"{name}({c})" for c in classes]] + [
        [classes[int(row.argmax())]] + [repr(float(v)) for v in row] for row in values]


def check(args):
    theirs = predict(args.model, args.data)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ours.csv")
        command = ["npx", "tsx", "src/cli/main.ts", "predict", "--model", os.path.abspath(args.model),
                   "--data", os.path.abspath(args.data), "--backend", args.backend, "--out", path]
        subprocess.run(command, cwd=ROOT, check=True, stdout=sys.stderr)
        with open(path, newline="") as f:
            ours = list(csv.reader(f))
    if ours[0] != theirs[0] or len(ours) != len(theirs):
        sys.exit(f"the files differ in shape: ours {ours[0]} x {len(ours) - 1}, torch {theirs[0]} x {len(theirs) - 1}")
    # A classifier's first column is the class name; a regression's columns are all numbers.
    regression = "(" not in ours[0][-1]
    numeric = list(range(len(ours[0]))) if regression else list(range(1, len(ours[0])))
    a = np.array([[float(row[j]) for j in numeric] for row in ours[1:]])
    b = np.array([[float(row[j]) for j in numeric] for row in theirs[1:]])
    worst = (np.abs(a - b).max(axis=0) / np.maximum(np.abs(b).max(axis=0), 1e-30)).max()
    flipped = 0 if regression else sum(o[0] != t[0] for o, t in zip(ours[1:], theirs[1:]))
    print(f"{len(ours) - 1} rows: largest difference {worst:.2e} of the column's magnitude"
          + ("" if regression else f", {flipped} classes differ"))
    if worst > args.tolerance or flipped > 0:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["predict", "check"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out")
    parser.add_argument("--backend", default="cpu")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    if args.command == "check":
        return check(args)
    rows = predict(args.model, args.data)
    out = open(args.out, "w", newline="") if args.out else sys.stdout
    csv.writer(out, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    main()
