#!/usr/bin/env python3
"""The model of larger runs in docs/cluster.md: CG on poisson3d split in planes or
blocks over P ranks, from this machine's measured time per iteration and an
assumed network. It prints the markdown table."""
import math
t256 = 65e-3          # CG s/iteration, poisson3d 256^3, one process, 1 thread (measured here)
bw_net = 12.5e9       # bytes/s: 100 Gb/s InfiniBand
lat = 2e-6            # s per message
def pgrid(size, shape):
    procs=[1]*len(shape); f=[]; r=size; p=2
    while r>1:
        if r%p==0: f.append(p); r//=p
        else: p+=1
    for k in reversed(f):
        best=len(shape)-1
        for a in range(len(shape)-2,-1,-1):
            if shape[a]*procs[best] > shape[best]*procs[a]: best=a
        procs[best]*=k
    return procs
print("| n | ranks | split (process grid) | unknowns per rank | compute ms/it | halo MB/it | halo µs/it | allreduces µs/it | communication share |")
print("|---|---|---|---|---|---|---|---|---|")
for n in (256, 1024):
    for P in (2, 8, 64, 512, 4096):
        comp = t256 * (n/256)**3 / P
        for split in ("planes", "blocks"):
            if split == "planes":
                if P > n: continue
                procs=[1,1,P]
            else:
                procs=pgrid(P,[n,n,n])
                if procs==[1,1,P]: continue
            box=[n/p for p in procs]
            halo=0; msgs=0
            for a,p in enumerate(procs):
                if p>1:
                    face=1
                    for b in range(3):
                        if b!=a: face*=box[b]
                    halo+=2*face*8; msgs+=2
            t_halo = halo / bw_net + msgs * lat
            t_red = 3 * 2 * lat * math.log2(P)
            share = (t_halo + t_red) / (comp + t_halo + t_red)
            print("| %d | %d | %s %s | %s | %.3g | %.3g | %.3g | %.3g | %.1f%% |" % (n, P, split, "x".join(map(str,procs)), f"{n**3//P:,}", comp*1e3, halo/1e6, t_halo*1e6, t_red*1e6, share*100))
