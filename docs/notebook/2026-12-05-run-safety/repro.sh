#!/usr/bin/env bash
# Usage: repro.sh <worktree> <outdir>: runs each run-life case of issue 22 and prints command, exit, last lines.
WT=$1; T=$2; rm -rf $T; mkdir -p $T
S="node --conditions=source --import tsx $WT/apps/trainer/src/cli.ts"
C="--cache-dir /work/tmp-22/cache --videos 24 --seed 1"
cd $WT/apps/trainer
show() { echo "== $1"; echo "exit $2"; grep -v '^\s*$' $3 | grep -iv '^|' | tail -${4:-3}; }
# 1 ctrl-c
$S train $C --epochs 12 --out $T/x -q > $T/1.log 2>&1 & P=$!; sleep 6; kill -INT $P; sleep 1; kill -INT $P; wait $P; e=$?
show "ctrl-c x2 at 6s, 7s (12 epochs); metrics lines: $(wc -l < $T/x/metrics.jsonl)" $e $T/1.log
# 1b Ctrl-C on a terminal (a pty; ^C typed, then again)
python3 - "$S train $C --epochs 12 --out $T/tty" > $T/1b.log 2>&1 <<'PY'
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execvp('bash', ['bash', '-c', sys.argv[1]])
out = b''
def drain(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try: out += os.read(fd, 65536)
            except OSError: return
drain(8); os.write(fd, b'\x03'); drain(3)
res = os.waitpid(pid, 0)[1]
drain(0.5)
text = out.decode(errors='replace').replace('\r', '\n')
lines = [l for l in text.split('\n') if l.strip() and not l.startswith('|') and 'epoch' not in l[:6]]
print('\n'.join(lines[-3:]))
print('exit', os.waitstatus_to_exitcode(res))
PY
echo "== ctrl-c typed on a terminal (pty) after 8 s; metrics lines: $(wc -l < $T/tty/metrics.jsonl)"; tail -4 $T/1b.log
# 2 two writers
$S train $C --epochs 3 --out $T/two -q > $T/2a.log 2>&1 & P1=$!; sleep 1; $S train $C --epochs 2 --preset dense --out $T/two -q > $T/2b.log 2>&1; e2=$?; wait $P1; e1=$?
show "two writers: first" $e1 $T/2a.log 1; show "two writers: second" $e2 $T/2b.log 2
echo "config preset: $(grep -o '"preset": "[a-z]*"' $T/two/config.json), metrics lines: $(wc -l < $T/two/metrics.jsonl)"
# 2c second writer with --overwrite while the first runs
$S train $C --epochs 3 --out $T/three -q > $T/2c.log 2>&1 & P1=$!; sleep 4; $S train $C --epochs 2 --out $T/three --overwrite -q > $T/2d.log 2>&1; e2=$?; wait $P1; e1=$?
show "two writers, the second with --overwrite: first" $e1 $T/2c.log 1; show "second (--overwrite)" $e2 $T/2d.log 1; echo "first writer pid: $P1"
# 3 --out existing run
$S train $C --epochs 1 --preset dense --out $T/x -q > $T/3.log 2>&1; e=$?
show "--out on an existing run; metrics lines after: $(wc -l < $T/x/metrics.jsonl)" $e $T/3.log 2
# 4 --resume mistyped
timeout 20 $S train --resume $T/typo > $T/4.log 2>&1; e=$?
show "--resume mistyped (20 s timeout)" $e $T/4.log 4
# 5 config error after create
$S train $C --epochs 1 --subset $T/no-such-subset.json --out $T/cfg -q > $T/5.log 2>&1; e=$?
show "config error (missing --subset file); left behind: $(ls -A $T/cfg 2>/dev/null | tr '\n' ' ')" $e $T/5.log 2
# 6 tmp leftovers
touch $T/x/checkpoints/last.ckpt.tmp-99999-deadbeef
$S train --resume $T/x -q > $T/6.log 2>&1; e=$?
show "tmp leftover after resume: $(ls $T/x/checkpoints | tr '\n' ' ')" $e $T/6.log 1
# 7 ENOSPC then resume
mkdir -p $T/full; mount -t tmpfs -o size=3m tmpfs $T/full
$S train $C --epochs 2 --out $T/full/run -q > $T/7a.log 2>&1; e=$?
show "ENOSPC during training; files: $(cd $T/full/run && find . -type f | sort | tr '\n' ' ')" $e $T/7a.log 2
$S train --resume $T/full/run --log-format json > $T/7b.log 2>&1; e=$?
show "--resume after ENOSPC" $e $T/7b.log 3
umount $T/full
# 8 read-only output dir
mkdir -p $T/ro; mount --bind -o ro $T/ro $T/ro
$S train $C --epochs 1 --out $T/ro/run -q > $T/8.log 2>&1; e=$?
show "read-only output folder" $e $T/8.log 2
umount $T/ro
