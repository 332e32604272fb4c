#!/usr/bin/env bash
# Usage: repro2.sh <worktree> <outdir>: integrity, media and data cases of issue 22.
WT=$1; T=$2; rm -rf $T; mkdir -p $T
S="node --conditions=source --import tsx $WT/apps/trainer/src/cli.ts"
cd $WT/apps/trainer
show() { echo "== $1"; echo "exit $2"; grep -v '^\s*$' $3 | grep -v '^|' | grep -v 'Hi, looks\|=====\|tfjs-node' | tail -${4:-2}; }
C="--cache-dir /work/tmp-22/cache --videos 24 --seed 1"
# a finished run to damage
$S train $C --epochs 2 --out $T/run -q > $T/run.log 2>&1
cp -r $T/run $T/run2
python3 - $T/run/checkpoints/best.ckpt $T/run2/checkpoints/last.ckpt <<'PY'
import sys
for p in sys.argv[1:]:
    b=bytearray(open(p,'rb').read()); b[len(b)-4001]^=0x10; open(p,'wb').write(b)
PY
$S eval $T/run --split test -q > $T/9.log 2>&1; e=$?
show "eval with one flipped bit in best.ckpt" $e $T/9.log 3
rm -f $T/run2/results.json
$S train --resume $T/run2 -q > $T/10.log 2>&1; e=$?
show "--resume with one flipped bit in last.ckpt" $e $T/10.log 2
# empty validation split
$S train --cache-dir /work/tmp-22/cache --videos 4 --epochs 1 --out $T/v4 -q > $T/11.log 2>&1; e=$?
show "--videos 4 (empty validation split); metrics: $(head -c 200 $T/v4/metrics.jsonl 2>/dev/null | grep -o '"valLoss":[^,]*,"valAccuracy":[^,]*')" $e $T/11.log 2
# NaN-stop advice: --resume with --lr
$S train $C --epochs 3 --out $T/lr --log-format json > $T/12.log 2>&1 & P=$!
while ! grep -q '"event":"epoch"' $T/12.log 2>/dev/null; do sleep 0.2; done; kill -INT $P; wait $P
$S train --resume $T/lr --lr 0.0001 -q > $T/12b.log 2>&1; e=$?
show "the NaN-stop advice followed: train --resume DIR --lr 0.0001" $e $T/12b.log 1
# NaN in a video's audio (float PCM soundtrack with one NaN), then train
rm -rf $T/nanmp4; cp -r /work/tmp-22/nanmp4-before $T/nanmp4; rm -rf $T/nanmp4/run $T/nanmp4/.cache
$S train --data music-avqa --root $T/nanmp4 --epochs 1 --out $T/nanrun -q > $T/18.log 2>&1; e=$?
show "train on a dataset where video 00000001's soundtrack holds one NaN" $e $T/18.log 1
# a frames+wav dataset
$S data synth --out $T/d --videos 8 --media frames+wav -q > /dev/null 2>&1
V=$(ls $T/d/frames | head -1); W=$(ls $T/d/frames | sed -n 2p); X=$(ls $T/d/frames | sed -n 3p); Y=$(ls $T/d/frames | sed -n 4p)
$S data prepare --root $T/d -q --log-format json > $T/p0.log 2>&1
# frame replaced in place: same size, new pixels
F=$(ls $T/d/frames/$V | sed -n 2p); G=$(ls $T/d/frames/$V | sed -n 5p)
python3 - $T/d/frames/$V <<'PY'
import sys,os
d=sys.argv[1]; fs=sorted(os.listdir(d)); a=os.path.join(d,fs[1]); b=os.path.join(d,fs[4])
ba=open(b,'rb').read(); open(a,'wb').write(ba)
PY
touch -d '+5 seconds' $T/d/frames/$V/$F; touch -r $T/d/frames/$W $T/d/frames/$V 2>/dev/null
$S data prepare --root $T/d -q --log-format json > $T/13.log 2>&1; e=$?
show "frame $V/$F rewritten in place, data prepare again (built/cached counts)" $e $T/13.log 1
# missing frame
rm $T/d/frames/$W/$(ls $T/d/frames/$W | sed -n 3p)
# 0-byte frame
: > $T/d/frames/$X/$(ls $T/d/frames/$X | sed -n 2p)
$S data prepare --root $T/d -q --log-format json > $T/14.log 2>&1; e=$?
show "one frame deleted ($W), one truncated to 0 bytes ($X): data prepare" $e $T/14.log 1
# WAV cut short
python3 - $T/d/audio/$Y.wav <<'PY'
import sys
p=sys.argv[1]; b=open(p,'rb').read(); open(p,'wb').write(b[:len(b)//2])
PY
$S data prepare --root $T/d -q --log-format json > $T/15.log 2>&1; e=$?
show "WAV $Y cut to half its data: data prepare" $e $T/15.log 1
# NaN in a float WAV
python3 - $T/d/audio/$V.wav <<'PY'
import sys,struct
p=sys.argv[1]; b=open(p,'rb').read()
# rewrite as 32-bit float with one NaN
n=(len(b)-44)//2; s=struct.unpack('<%dh'%n,b[44:44+2*n]); rate=struct.unpack('<I',b[24:28])[0]
f=[x/32768 for x in s]; f[100]=float('nan'); data=struct.pack('<%df'%n,*f)
hdr=b'RIFF'+struct.pack('<I',36+len(data))+b'WAVEfmt '+struct.pack('<IHHIIHH',16,3,1,rate,rate*4,4,32)+b'data'+struct.pack('<I',len(data))
open(p,'wb').write(hdr+data)
PY
$S data prepare --root $T/d -q --log-format json > $T/16.log 2>&1; e=$?
show "NaN sample in $V.wav: data prepare" $e $T/16.log 1
# no audio stream
FF=$(node -e "console.log(require('$WT/packages/avqa-datasets/node_modules/@ffmpeg-installer/ffmpeg').path)")
$FF -loglevel error -f lavfi -i color=c=red:s=64x64:r=5:d=2 -c:v libx264 -pix_fmt yuv420p $T/silent.mp4
$S ask $T/run2 --video $T/silent.mp4 --question "How many instruments are sounding in the video?" > $T/17.log 2>&1; e=$?
show "ask on an mp4 with no audio stream" $e $T/17.log 1
