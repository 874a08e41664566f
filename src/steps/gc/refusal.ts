import type { FailureCode } from '../../model/failureCodes.js';

/** gc declines to go on; `code` is the kebab-case cause the result carries (`in-use-unknown`, `push-in-flight`). */
export class GcRefusal extends Error {
  constructor(
    message: string,
    readonly code: FailureCode,
  ) {
    super(message);
    this.name = 'GcRefusal';
  }
}
