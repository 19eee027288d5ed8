#!/usr/bin/env python3
"""Generate a random small multi-host config (seeded by argv[1]) for the model
corpus in tests/fuzz/model/, replayed by tests/unit/test_fuzz.c with
invariant checks after every event. Regenerate only on purpose."""
import random, sys
r = random.Random(int(sys.argv[1]))
pols = ["fifo","random","clock","lru","lru-oracle","two-list"]
kinds = ["uniform","zipf","loop","hot-cold","phases"]
def wl():
    k = r.choice(kinds)
    fp = r.choice([64,128,200,300,600])
    s = "{kind: %s, processes: %d, footprint: %dKiB, refs: %d, write_ratio: %d%%" % (k, r.randint(1,3), fp, r.randint(100,3000), r.choice([0,30,100]))
    if k == "phases":
        s += ", phases: [{refs: 300, wss: 50%%, offset: 0%%}, {idle: 1ms}, {refs: 300, wss: 30%%, offset: %d%%, shift: 10%%}]" % r.choice([0,20])
    return s + "}"
hosts = []
for h in range(r.randint(1,2)):
    vms = []
    for v in range(r.randint(1,3)):
        mem = r.choice([256,512,1024])
        vms.append("      - {name: v%d, memory: %dKiB, vcpus: %d, limit: %d%%, guest: {policy: %s, kernel: %dKiB, kswapd_batch: %d, swap: {size: 8MiB}, watermarks: {min: %d%%, low: %d%%, high: %d%%}, content: {image_share: %d%%, write_changes: %d%%}}, workload: %s}" % (
            v, mem, r.randint(1,3), r.choice([30,50,75,100]), r.choice(pols), r.choice([0,16,64]), r.choice([1,8,32]),
            0, r.choice([0,2]), r.choice([2,5]), r.choice([0,50]), r.choice([0,50,100]), wl()))
    hosts.append("  - name: h%d\n    memory: %dKiB\n    swap: {size: 4MiB}\n    vmm: {policy: %s, allocation: %s}\n    vms:\n%s" % (
        h, r.choice([512, 1024, 2048, 4096]), r.choice(pols), r.choice(["static","equal"]), "\n".join(vms)))
print("seed: %d\ncheck_invariants: true\nquantum: %s\nhosts:\n%s" % (r.randint(1,99), r.choice(["10us","1ms"]), "\n".join(hosts)))
