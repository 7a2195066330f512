# The two commands a new machine needs: `make run` and `make test`.
# Both install the missing Debian packages first (scripts/install-deps.sh).

export PATH := $(PATH):/usr/local/go/bin
GO ?= go

# OpenBLAS picks its kernels when it loads: give the tests the CPU's widest
# (a user's own OPENBLAS_CORETYPE wins). See internal/openblas.
OPENBLAS_CORE := $(shell sh scripts/openblas-core.sh)
ifneq ($(OPENBLAS_CORE),)
OPENBLAS_CORETYPE ?= $(OPENBLAS_CORE)
export OPENBLAS_CORETYPE
endif
BIN := bin/simulate
OUT ?= out

.PHONY: all deps build run test test-cluster bench clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/simulate

# run runs the embedded main job (Darcy data, MgNO trained on it, compared with
# the solver) and writes $(OUT)/darcy-mgno.h5, darcy-mgno.png and summary.json.
run: build
	@mkdir -p $(OUT)
	./$(BIN) run --out $(OUT) --force

test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

# test-cluster runs the MPI and Slurm tests on this machine for real: it
# installs Open MPI, Slurm and munge, starts a one-node Slurm, runs an array
# job and the MPI tests under mpirun and srun, and stops what it started
# (scripts/test-cluster.sh).
test-cluster: deps
	sh scripts/test-cluster.sh

# bench prints JSON lines for ../shared/peers/compare.py (not part of the tests);
# the peers' own commands are in ../shared/peers/README.md, and `bench ode` and
# `ot` take the peers' output or inputs (see README.md).
bench: build
	./$(BIN) bench spmv
	./$(BIN) bench pde
	./$(BIN) bench nn

clean:
	rm -rf bin $(OUT)
