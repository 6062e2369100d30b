#!/usr/bin/env node
// Golden fixtures for tests/test_face.c, produced by the ORIGINAL face-api (@vladmandic/face-api 1.7.15
// on Node, tfjs 4.x pure-JS "cpu" backend): SSD MobileNetV1 detections (minConfidence 0.5, maxResults 100)
// and the 68 landmarks of face_landmark_68_model for every detection, on frames of the demo clips.
//
// Setup (scratch folder, never committed):
//   mkdir -p /tmp/faceref && cd /tmp/faceref && npm install @vladmandic/face-api @tensorflow/tfjs @tensorflow/tfjs-backend-wasm
//   scripts/fetch-face-models /tmp/face-models
// Run (writes tests/data/face/*.ppm and face_reference.json; ~10 s per frame on 2 cores):
//   NODE_PATH=/tmp/faceref/node_modules node tests/reference/face_reference.js --models /tmp/face-models \
//       --assets /work/shared/assets --out tests/data/face --size 252x448 --frames demo1:0,120 --frames demo2:0,240
// The frames are decoded and scaled by the ffmpeg CLI into binary PPM files; both this script and the C test
// read those same files, so the decoder and scaler do not matter. Without --assets, the PPMs already in
// --out are used. Output format: see FORMAT below.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const FORMAT = 'latentsync-face-reference';
const VERSION = 1;

function parseArgs(argv) {
  const a = { frames: [], size: '252x448' };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--models') a.models = v;
    else if (k === '--assets') a.assets = v;
    else if (k === '--out') a.out = v;
    else if (k === '--size') a.size = v;
    else if (k === '--frames') a.frames.push(v);
    else throw new Error(`unknown argument ${k}`);
    i++;
  }
  if (!a.models || !a.out) throw new Error('usage: face_reference.js --models DIR --out DIR [--assets DIR --size WxH --frames clip:n,n ...]');
  return a;
}

function readPPM(file) {
  const buf = fs.readFileSync(file);
  // header: P6 <ws> width <ws> height <ws> 255 <one ws> data (no comments: ffmpeg writes none)
  const tokens = [];
  let at = 0;
  while (tokens.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[at]))) at++;
    let s = '';
    while (!/\s/.test(String.fromCharCode(buf[at]))) s += String.fromCharCode(buf[at++]);
    tokens.push(s);
  }
  at++;
  if (tokens[0] !== 'P6' || tokens[3] !== '255') throw new Error(`${file}: not an 8-bit P6 PPM`);
  const width = +tokens[1], height = +tokens[2];
  const data = buf.subarray(at, at + width * height * 3);
  if (data.length !== width * height * 3) throw new Error(`${file}: truncated`);
  return { width, height, data };
}

function extractFrames(args) {
  const [w, h] = args.size.split('x').map(Number);
  const files = [];
  for (const spec of args.frames) {
    const [clip, list] = spec.split(':');
    for (const n of list.split(',').map(Number)) {
      const name = `${clip}_f${String(n).padStart(3, '0')}_${w}x${h}.ppm`;
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(args.assets, `${clip}_video.mp4`),
        '-vf', `select=eq(n\\,${n}),scale=${w}:${h}`, '-frames:v', '1', '-c:v', 'ppm', '-f', 'image2',
        path.join(args.out, name)]);
      files.push({ name, clip, index: n });
    }
  }
  return files;
}

async function main() {
  const args = parseArgs(process.argv);
  fs.mkdirSync(args.out, { recursive: true });
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  await faceapi.tf.setBackend('cpu');
  await faceapi.tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(args.models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(args.models);

  const frames = args.assets ? extractFrames(args)
    : fs.readdirSync(args.out).filter((f) => f.endsWith('.ppm')).sort().map((name) => ({ name }));
  const out = {
    format: FORMAT,
    version: VERSION,
    generator: 'tests/reference/face_reference.js',
    face_api: faceapi.version,
    tfjs: faceapi.tf.version_core,
    backend: faceapi.tf.getBackend(),
    detector: { net: 'ssd_mobilenetv1', min_confidence: 0.5, max_results: 100 },
    frames: [],
  };
  for (const f of frames) {
    const img = readPPM(path.join(args.out, f.name));
    const t = faceapi.tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
    const t0 = Date.now();
    const results = await faceapi.detectAllFaces(t, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }))
      .withFaceLandmarks();
    const ms = Date.now() - t0;
    t.dispose();
    const faces = results.map((r) => ({
      score: r.detection.score,
      box: [r.detection.box.x, r.detection.box.y, r.detection.box.width, r.detection.box.height],
      landmarks: r.landmarks.positions.map((p) => [p.x, p.y]),
    }));
    out.frames.push({ file: f.name, clip: f.clip, index: f.index, width: img.width, height: img.height, faces, ms });
    process.stderr.write(`${f.name}: ${faces.length} face(s)${faces.map((x) => ` score ${x.score.toFixed(4)} box ${x.box.map((v) => v.toFixed(1)).join(',')}`).join('')} (${ms} ms)\n`);
  }
  fs.writeFileSync(path.join(args.out, 'face_reference.json'), `${JSON.stringify(out, null, 1)}\n`);
}

main().catch((e) => {
  process.stderr.write(`face_reference.js: ${e.stack || e}\n`);
  process.exit(1);
});
