#!/bin/sh
# openblas-core.sh prints the OPENBLAS_CORETYPE for this CPU's widest
# vectors (SkylakeX for AVX-512, Haswell for AVX2 with FMA), or nothing.
# OpenBLAS reads the variable when it loads, so make exports it for the
# tests; the simulate command corrects itself at start-up instead
# (internal/openblas.Reexec).
f=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
case " $f " in
*" avx512f "*" avx512bw "* | *" avx512bw "*" avx512f "*) echo SkylakeX ;;
*" avx2 "*" fma "* | *" fma "*" avx2 "*) echo Haswell ;;
esac
