import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Builder, ByteBuffer } from 'flatbuffers';
import { ENUMS, TABLES, UNIONS } from './generated/schema-meta.js';
import { decodeOptionsTable, encodeOptionsTable, normaliseOptions, optionsSlotForOp } from './options.js';

const generatedDir = join(dirname(fileURLToPath(import.meta.url)), 'generated', 'tflite');

test('schema metadata slots agree with the flatc-generated accessors for every table', () => {
  let checked = 0;
  for (const file of readdirSync(generatedDir)) {
    const text = readFileSync(join(generatedDir, file), 'utf8');
    const cls = /^export class (\w+) \{/m.exec(text)?.[1];
    const fields = cls === undefined ? undefined : TABLES[cls];
    if (!fields) continue;
    const accessors = new Map<string, number>();
    for (const m of text.matchAll(/^(\w+)(?:<[^>]*>)?\([^)]*\)[^{]*\{\n\s*const offset = this\.bb!\.__offset\(this\.bb_pos, (\d+)\);/gm)) {
      accessors.set(m[1]!, Number(m[2]));
    }
    for (const f of fields) {
      if (f.deprecated) {
        assert.equal(accessors.has(f.camel), false, `${cls}.${f.camel} is deprecated but has an accessor`);
        continue;
      }
      assert.equal(accessors.get(f.camel), 4 + 2 * f.slot, `${cls}.${f.name}: vtable offset`);
      checked++;
    }
    // Every accessor flatc made is a field we know (vectors also get <name>Length / <name>Array).
    const known = new Set(fields.flatMap((f) => [f.camel, `${f.camel}Length`, `${f.camel}Array`]));
    for (const name of accessors.keys()) assert.ok(known.has(name), `${cls}.${name} is missing from the metadata`);
  }
  const total = Object.values(TABLES).reduce((n, fields) => n + fields.filter((f) => !f.deprecated).length, 0);
  assert.equal(checked, total, 'every table of the metadata has a generated class');
});

test('options tables hold only scalars, strings and scalar vectors (what the codec handles)', () => {
  for (const union of ['BuiltinOptions', 'BuiltinOptions2']) {
    for (const table of UNIONS[union]!) {
      if (!table) continue;
      for (const f of TABLES[table]!) assert.ok(['scalar', 'string', 'vector'].includes(f.type.kind), `${table}.${f.name}`);
    }
  }
});

test('op names map to their options tables, including the irregular ones', () => {
  const cases: [string, string | null, string?][] = [
    ['CONV_2D', 'Conv2DOptions'], ['DEPTHWISE_CONV_2D', 'DepthwiseConv2DOptions'], ['MAX_POOL_2D', 'Pool2DOptions'],
    ['AVERAGE_POOL_2D', 'Pool2DOptions'], ['MEAN', 'ReducerOptions'], ['REDUCE_MAX', 'ReducerOptions'],
    ['MINIMUM', 'MaximumMinimumOptions'], ['FULLY_CONNECTED', 'FullyConnectedOptions'], ['RESHAPE', 'ReshapeOptions'],
    ['BATCH_MATMUL', 'BatchMatMulOptions'], ['TOPK_V2', 'TopKV2Options'], ['L2_NORMALIZATION', 'L2NormOptions'],
    ['STABLEHLO_PAD', 'StablehloPadOptions', 'BuiltinOptions2'], ['STABLEHLO_COMPOSITE', 'StableHLOCompositeOptions', 'BuiltinOptions2'],
    ['RELU', null], ['LOGISTIC', null], ['CUSTOM', null],
  ];
  for (const [op, table, union] of cases) {
    const slot = optionsSlotForOp(op);
    assert.equal(slot?.table ?? null, table, op);
    if (slot) {
      assert.equal(slot.union, union ?? 'BuiltinOptions', op);
      assert.equal(UNIONS[slot.union]![slot.type], table, op);
    }
  }
  // Every options table is reachable from some op name, so the builder can emit each of them.
  const reached = new Set(Object.values(ENUMS['BuiltinOperator']!).map((n) => optionsSlotForOp(n)?.table));
  for (const union of ['BuiltinOptions', 'BuiltinOptions2']) {
    for (const table of UNIONS[union]!) if (table) assert.ok(reached.has(table), table);
  }
});

test('normaliseOptions fills defaults, rounds float32, converts 64-bit scalars, refuses bad input', () => {
  assert.deepEqual(normaliseOptions('Conv2DOptions', { strideW: 2 }), {
    padding: 0, strideW: 2, strideH: 0, fusedActivationFunction: 0, dilationWFactor: 1, dilationHFactor: 1, quantizedBiasType: 0,
  });
  assert.deepEqual(normaliseOptions('ResizeBilinearOptions', {}), { alignCorners: false, halfPixelCenters: false });
  assert.equal(normaliseOptions('LeakyReluOptions', { alpha: 0.1 })['alpha'], Math.fround(0.1));
  assert.equal(normaliseOptions('StablehloIotaOptions', { iotaDimension: 2 })['iotaDimension'], 2n);
  assert.deepEqual(normaliseOptions('ReshapeOptions', null), { newShape: [] });
  assert.equal(normaliseOptions('StablehloCustomCallOptions', {})['callTargetName'], null);
  assert.throws(() => normaliseOptions('Conv2DOptions', { strideX: 1 }), /Conv2DOptions has no field 'strideX'/);
  assert.throws(() => normaliseOptions('Conv2DOptions', { padding: 300 }), /padding must be a int8/);
  assert.throws(() => normaliseOptions('Conv2DOptions', { strideW: 1.5 }), RangeError);
  assert.throws(() => normaliseOptions('FullyConnectedOptions', { keepNumDims: 1 }), /must be a boolean/);
  assert.throws(() => normaliseOptions('ReshapeOptions', { newShape: 3 }), /must be an array/);
});

test('encode → decode is the identity on normalised options of every table', () => {
  const rand = (() => { let s = 99; return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648; })();
  for (const union of ['BuiltinOptions', 'BuiltinOptions2']) {
    for (const table of UNIONS[union]!) {
      if (!table) continue;
      // Non-default values in every field, so nothing passes just because the default came back.
      const given: Record<string, number | boolean | bigint | string | number[]> = {};
      for (const f of TABLES[table]!) {
        if (f.deprecated) continue;
        const t = f.type;
        if (t.kind === 'string') given[f.camel] = `s${Math.floor(rand() * 100)}`;
        else if (t.kind === 'vector') given[f.camel] = t.elem === 'bool' ? [1, 0, 1] : [3, 1, 2];
        else if (t.kind === 'scalar') {
          if (t.scalar === 'bool') given[f.camel] = !t.default;
          else if (t.scalar === 'int64' || t.scalar === 'uint64') given[f.camel] = BigInt(Math.floor(rand() * 1e6) + 2);
          else if (t.scalar === 'float32' || t.scalar === 'float64') given[f.camel] = -0.375;
          else given[f.camel] = Number(t.default) + 1 + Math.floor(rand() * 5);
        }
      }
      const expected = normaliseOptions(table, given);
      const b = new Builder(64);
      const at = encodeOptionsTable(b, table, given);
      b.finish(at);
      const bytes = b.asUint8Array();
      const bb = new ByteBuffer(bytes);
      const pos = bb.readInt32(0);
      const decoded = decodeOptionsTable(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos, table, table);
      assert.deepEqual(decoded, expected, table);
    }
  }
});
