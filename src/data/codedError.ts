/** An Error with a machine-readable `code` beside the message for people (the data readers' errors). */
export class CodedError<C extends string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, name: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}
