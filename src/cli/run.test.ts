// `lce run` argument handling: negative numbers after numeric options.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { joinNegativeValues } from './run.js';

it('joins a numeric option and the negative number after it; leaves everything else alone', () => {
  assert.deepEqual(joinNegativeValues(['m.tflite', '--image', 'a.png', '--offset', '-1', '--scale', '2']),
    ['m.tflite', '--image', 'a.png', '--offset=-1', '--scale', '2']);
  assert.deepEqual(joinNegativeValues(['m.tflite', '--mean', '-0.5,0,0.5', '--std', '-.5']), ['m.tflite', '--mean=-0.5,0,0.5', '--std=-.5']);
  // not numbers, or not a numeric option: untouched (parseArgs reports them as before)
  assert.deepEqual(joinNegativeValues(['m.tflite', '--offset', '--json']), ['m.tflite', '--offset', '--json']);
  assert.deepEqual(joinNegativeValues(['m.tflite', '--image', '-1']), ['m.tflite', '--image', '-1']);
  assert.deepEqual(joinNegativeValues(['m.tflite', '--offset=-1']), ['m.tflite', '--offset=-1']);
});
