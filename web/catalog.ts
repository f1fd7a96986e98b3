/** What the page knows about a model it can load: written by the corpus plugin, read by the page. */

export type ModelKind = 'digits' | 'image';

export interface CatalogModel {
  /** Stable id, used in the URL hash and by the test hook. */
  id: string;
  label: string;
  kind: ModelKind;
  description: string;
  /** URL of the .tflite, relative to the page. */
  url: string;
  bytes: number;
  /** The .tflite input: NHWC, batch 1. */
  input: { name: string; shape: number[]; dtype: string };
  classes: number;
  /** How pixels become the input tensor, in words (shown on the page). */
  preprocessing: string;
  /** Ready-made inputs from the corpus: raw little-endian float32, `count` of them back to back. */
  samples?: { url: string; count: number; labels?: number[]; what: string };
}

export interface Catalog {
  /** Where the models came from (the manifest's provenance line). */
  source: string;
  models: CatalogModel[];
}
