#!/usr/bin/env bash
# Frame rewritten in place (the folder's own size and mtime kept), then data prepare again.
WT=$1; T=$2; rm -rf $T; mkdir -p $T
S="node --conditions=source --import tsx $WT/apps/trainer/src/cli.ts"
cd $WT/apps/trainer
$S data synth --out $T/d --videos 8 --media frames+wav -q > /dev/null 2>&1
$S data prepare --root $T/d -q --log-format json > $T/p0.log 2>&1
V=$(ls $T/d/frames | head -1)
python3 - $T/d/frames/$V <<'PY'
import sys, os
d = sys.argv[1]; st = os.stat(d); fs = sorted(os.listdir(d))
a = os.path.join(d, fs[1]); b = os.path.join(d, fs[4])
data = open(b, 'rb').read()
with open(a, 'r+b') as f:  # rewritten in place: same inode, new pixels
    f.truncate(0); f.write(data)
os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))
st2 = os.stat(d)
print('folder size/mtime unchanged:', (st.st_size, st.st_mtime_ns) == (st2.st_size, st2.st_mtime_ns))
PY
$S data prepare --root $T/d -q --log-format json > $T/1.log 2>&1; e=$?
echo "== frame $V/000002.png rewritten in place (folder size and mtime kept), data prepare again"; echo "exit $e"; grep '"result"' $T/1.log | grep -o '"cached":[0-9]*,"built":[0-9]*,"rebuilt":[0-9]*'
