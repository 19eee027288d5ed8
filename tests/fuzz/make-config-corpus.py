#!/usr/bin/env python3
"""Regenerate tests/fuzz/config/: mutated experiment configs that `make check`
replays through the whole config path (tests/unit/test_fuzz.c). Deterministic
(seeded); run only to refresh the corpus on purpose."""
import glob, os, random

random.seed(20261130)
here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
seeds = sorted(glob.glob(os.path.join(root, "tests/scenario/*.yaml"))) + \
        [os.path.join(root, "configs/double-paging.yaml")]
tokens = ["", "-1", "0", "1e99", "lots", "[", "]", "{", "}", ":", "- ", "&a", "*a", "!!int", "'",
          '"', "\t", "4KiB", "0%", "101%", "18446744073709551616", "null", "~", "\\x00", "host:",
          "vms: []", "count: 65536", "memory: 1TiB", "limit: 0.5", "kind: phases", "phases: [{idle: 1s}]"]
out = os.path.join(here, "config")
os.makedirs(out, exist_ok=True)
n = 0
for path in seeds:
    text = open(path).read()
    lines = text.splitlines()
    for i in range(12):
        l = list(lines)
        op = random.randrange(5)
        k = random.randrange(len(l))
        if op == 0:
            l[k] = l[k][: random.randrange(len(l[k]) + 1)] + random.choice(tokens)
        elif op == 1:
            del l[k]
        elif op == 2:
            l.insert(k, l[random.randrange(len(l))])
        elif op == 3:
            pos = random.randrange(len(l[k]) + 1)
            l[k] = l[k][:pos] + random.choice(tokens) + l[k][pos:]
        else:
            l = l[: random.randrange(len(l))]
        name = "%s-%02d.yaml" % (os.path.splitext(os.path.basename(path))[0], i)
        with open(os.path.join(out, name), "w") as f:
            f.write("\n".join(l) + "\n")
        n += 1
print("wrote", n, "configs to", out)
