#!/bin/sh
# test-cluster.sh runs the cluster tests on this one machine, for real:
#   1. the MPI binding's and the distributed operator's tests (build tag
#      mpi) under mpirun on 1, 2 and 4 ranks (4 oversubscribed);
#   2. a one-node Slurm (munged, slurmctld and slurmd started here with a
#      generated configuration) running 'simulate generate darcy' as an
#      sbatch --array=0-3 job, whose shards merge into a file equal sample
#      for sample to a one-process run;
#   3. the same tests once more through srun -n 2 (PMIx);
#   4. simulate solve (built with the tag) under mpirun on 2 and 4 ranks,
#      split in planes and in blocks:
#      the serial iteration count and solution; simulate train on 2 ranks,
#      data-parallel: the same model twice, the serial one's to rounding.
# It installs the Debian packages it needs, and stops the daemons it
# started, by PID, also after a failure or an interrupt.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sh scripts/install-deps.sh cluster

work=$(mktemp -d /tmp/pdekit-cluster.XXXXXX)
pids=""
munge_pid=""
child=""
cleanup() {
	status=$?
	if [ -n "$child" ]; then
		kill "$child" 2>/dev/null || true
	fi
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	for p in $pids; do
		while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
	done
	if [ -n "$munge_pid" ]; then
		kill "$munge_pid" 2>/dev/null || true
	fi
	if [ "$status" -ne 0 ]; then
		echo "test-cluster: FAILED; logs:" >&2
		for f in "$work"/*.log "$work"/slurm-*.out; do
			[ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
		done
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run runs a command in the background and waits for it, so that a signal
# interrupts the wait at once (a foreground command would hold the trap
# until it ended) and cleanup can stop the command too.
run() {
	"$@" &
	child=$!
	rc=0
	wait "$child" || rc=$?
	child=""
	return "$rc"
}

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
GO=${GO:-go}

echo "test-cluster: MPI tests under mpirun" >&2
$GO test -tags mpi -c -o "$work/mpi.test" ./mpi
$GO test -tags mpi -c -o "$work/dist.test" ./dist
for t in mpi dist; do
	for np in 1 2 4; do
		run mpirun -np "$np" --oversubscribe "$work/$t.test" -test.count=1 >"$work/mpirun-$t-$np.log" 2>&1 ||
			{ cat "$work/mpirun-$t-$np.log" >&2; exit 1; }
		echo "  $t: mpirun -np $np: ok" >&2
	done
done

echo "test-cluster: solve on several ranks" >&2
$GO build -o "$work/simulate" ./cmd/simulate
$GO build -tags mpi -o "$work/simulate-mpi" ./cmd/simulate
"$work/simulate" solve --problem poisson3d --n 32 --json --out "$work/x-serial.h5" >"$work/solve-serial.json"
serial_its=$(sed 's/.*"iterations":\([0-9]*\).*/\1/' "$work/solve-serial.json")
for split in planes blocks; do
	for np in 2 4; do
		k=$np-$split
		run mpirun -np "$np" --oversubscribe "$work/simulate-mpi" solve --problem poisson3d --n 32 --threads 1 --split $split --json \
			--out "$work/x-$k.h5" >"$work/solve-$k.json" 2>"$work/solve-$k.log" || { cat "$work/solve-$k.log" >&2; exit 1; }
		its=$(sed 's/.*"iterations":\([0-9]*\).*/\1/' "$work/solve-$k.json")
		grep -q "\"ranks\":$np" "$work/solve-$k.json" && [ "$its" = "$serial_its" ] ||
			{ echo "test-cluster: $np ranks, --split $split: $(cat "$work/solve-$k.json"); serial $serial_its iterations" >&2; exit 1; }
		h5diff -d 1e-9 "$work/x-serial.h5" "$work/x-$k.h5" /x /x >/dev/null ||
			{ echo "test-cluster: the solution on $np ranks (--split $split) differs from the serial one" >&2; exit 1; }
		echo "  mpirun -np $np simulate solve --split $split: $its iterations as serial, the same solution" >&2
	done
done
# Two-level Schwarz on 2 ranks against one process: the coarse level
# keeps the iterations within 2 of the one-process count (block-Jacobi
# alone grows by a quarter or more).
"$work/simulate" solve --problem poisson3d --n 32 --pc ic0 --schwarz 4 --threads 1 --json >"$work/schwarz-1.json"
run mpirun -np 2 --oversubscribe "$work/simulate-mpi" solve --problem poisson3d --n 32 --pc ic0 --schwarz 4 --threads 1 --json \
	>"$work/schwarz-2.json" 2>"$work/schwarz-2.log" || { cat "$work/schwarz-2.log" >&2; exit 1; }
s1=$(sed 's/.*"iterations":\([0-9]*\).*/\1/' "$work/schwarz-1.json")
s2=$(sed 's/.*"iterations":\([0-9]*\).*/\1/' "$work/schwarz-2.json")
grep -q '"converged":true' "$work/schwarz-2.json" && [ "$s2" -le $((s1 + 2)) ] ||
	{ echo "test-cluster: Schwarz on 2 ranks: $(cat "$work/schwarz-2.json"); one process $s1 iterations" >&2; exit 1; }
echo "  mpirun -np 2 simulate solve --schwarz 4: $s2 iterations (one process: $s1)" >&2
echo "test-cluster: data-parallel training" >&2
"$work/simulate" generate darcy --samples 12 --n 33 --seed 1 --out "$work/tr.h5" >/dev/null 2>&1
"$work/simulate" generate darcy --samples 4 --n 33 --seed 2 --out "$work/te.h5" >/dev/null 2>&1
train="train fno --train $work/tr.h5 --test $work/te.h5 --epochs 2 --width 8 --modes 4 --batch 4 --threads 1 --json"
"$work/simulate" $train --out "$work/m-serial.h5" >"$work/train-serial.json" 2>/dev/null
for k in a b; do
	run mpirun -np 2 --oversubscribe "$work/simulate-mpi" $train --out "$work/m-$k.h5" >"$work/train-$k.json" 2>"$work/train-$k.log" ||
		{ cat "$work/train-$k.log" >&2; exit 1; }
done
field() { sed 's/.*"final_test_rel_l2":\([^,}]*\).*/\1/' "$1"; }
s_err=$(field "$work/train-serial.json") a_err=$(field "$work/train-a.json") b_err=$(field "$work/train-b.json")
[ "$a_err" = "$b_err" ] && awk -v a="$a_err" -v s="$s_err" 'BEGIN { d = a - s; if (d < 0) d = -d; exit !(d <= 1e-6 * s) }' ||
	{ echo "test-cluster: 2-rank training: $a_err and $b_err, serial $s_err" >&2; exit 1; }
echo "  mpirun -np 2 train fno: the same model twice (test error $a_err), serial $s_err" >&2
if mpirun -np 2 --oversubscribe "$work/simulate-mpi" generate darcy --samples 2 --out "$work/no.h5" >/dev/null 2>&1; then
	echo "test-cluster: generate on 2 ranks did not refuse" >&2; exit 1
fi

echo "test-cluster: one-node Slurm" >&2

# munged: reuse a running one, or start ours as the munge user.
if ! munge -n >/dev/null 2>&1 </dev/null; then
	mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
	pidfile=/run/munge/pdekit-munged.pid
	rm -f "$pidfile"
	runuser -u munge -- /usr/sbin/munged --pid-file="$pidfile" 2>"$work/munged.log"
	for _ in $(seq 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
	munge_pid=$(cat "$pidfile")
fi
munge -n | unmunge >/dev/null

host=$(hostname)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<EOF
ClusterName=pdekit
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldPort=16817
SlurmdPort=16818
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do
	state=$(sinfo -h -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 0.3
done
[ "$state" = idle ] || { echo "test-cluster: the node did not come up (state '$state')" >&2; exit 1; }
echo "  slurmctld and slurmd up" >&2

# The ensemble: four array tasks, one shard each (generate reads
# SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT itself).
cat >"$work/job.sh" <<EOF
#!/bin/sh
#SBATCH --job-name=darcy
#SBATCH --output=$work/slurm-%A_%a.out
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
exec "$work/simulate" generate darcy --samples 8 --n 33 --seed 5 --threads 1 --out "$work/darcy-{i}.h5"
EOF
run sbatch --wait --array=0-3 "$work/job.sh" >"$work/sbatch.log" 2>&1 || { cat "$work/sbatch.log" >&2; exit 1; }
"$work/simulate" merge "$work/merged.h5" "$work"/darcy-0.h5 "$work"/darcy-1.h5 "$work"/darcy-2.h5 "$work"/darcy-3.h5 >/dev/null
"$work/simulate" generate darcy --samples 8 --n 33 --seed 5 --out "$work/whole.h5" >/dev/null 2>&1
for d in nu tensor sample-index; do
	h5diff -d 0 "$work/whole.h5" "$work/merged.h5" "/$d" "/$d" >/dev/null ||
		{ echo "test-cluster: merged $d differs from the one-process run" >&2; exit 1; }
done
echo "  sbatch --array=0-3: 4 shards merged, equal to one process sample for sample" >&2

for t in mpi dist; do
	run srun -n 2 --mpi=pmix --oversubscribe "$work/$t.test" -test.count=1 >"$work/srun-$t.log" 2>&1 ||
		{ cat "$work/srun-$t.log" >&2; exit 1; }
	echo "  $t: srun -n 2 --mpi=pmix: ok" >&2
done
echo "test-cluster: ok" >&2
