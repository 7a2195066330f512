#!/bin/sh
# install-deps.sh installs the Debian packages the toolkit builds against,
# only when one is missing. It is idempotent and safe to run on every make.
# With the argument "cluster" it adds what 'make test-cluster' needs: Open
# MPI, Slurm and munge.
set -eu

pkgs="libhdf5-dev hdf5-tools libfftw3-dev libopenblas-dev pkg-config gcc dataset-fashion-mnist gmsh libsuitesparse-dev"
if [ "${1:-}" = cluster ]; then
	pkgs="$pkgs openmpi-bin libopenmpi-dev slurmctld slurmd slurm-client munge"
fi
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install:$missing" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
fi

if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
	echo "install-deps: Go 1.26 is required (https://go.dev/dl); put it on PATH" >&2
	exit 1
fi
