/**
 * Every failure lce-js reports on purpose is an LceError subclass with a stable `code`,
 * so callers can branch on the kind of problem without parsing messages.
 */
export type LceErrorCode =
  | 'MODEL_FORMAT' // the bytes are not a valid TFLite flatbuffer
  | 'MODEL_INVALID' // decodes, but is inconsistent (indices, shapes, buffer sizes)
  | 'UNSUPPORTED_OP' // an op this build cannot run
  | 'OP_PREPARE' // an op's inputs/options are not acceptable to its kernel
  | 'INPUT' // session.run was given bad feeds
  | 'LIMIT' // a resource cap would be exceeded
  | 'CONVERTER' // a Keras model cannot be converted
  | 'IO'; // file system / fetch problems

export class LceError extends Error {
  readonly code: LceErrorCode;
  constructor(code: LceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The file is not a readable TFLite flatbuffer (truncated, bad offsets, wrong identifier). */
export class ModelFormatError extends LceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_FORMAT', message, options);
  }
}

/** The flatbuffer decodes but describes an impossible graph. */
export class ModelValidationError extends LceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_INVALID', message, options);
  }
}

/** An op has no kernel in the registry; raised at load time, never at run time. */
export class UnsupportedOpError extends LceError {
  readonly opType: string;
  readonly opIndex: number;
  constructor(opType: string, opIndex: number, modelName: string, detail?: string) {
    super(
      'UNSUPPORTED_OP',
      `unsupported op ${opType} at operator index ${opIndex} in model ${modelName}` + (detail ? `: ${detail}` : ''),
    );
    this.opType = opType;
    this.opIndex = opIndex;
  }
}

/** An op's kernel rejected its inputs, outputs or options during prepare. */
export class OpPrepareError extends LceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('OP_PREPARE', message, options);
  }
}

/** session.run was given feeds that do not match the model's inputs. */
export class InputError extends LceError {
  constructor(message: string) {
    super('INPUT', message);
  }
}

/** A configurable resource cap (arena bytes, element counts) would be exceeded. */
export class LimitError extends LceError {
  constructor(message: string) {
    super('LIMIT', message);
  }
}

/** A Keras model cannot be converted (unsupported layer, missing weight, bad file). */
export class ConverterError extends LceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONVERTER', message, options);
  }
}
