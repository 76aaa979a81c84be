/** A problem with what the user gave portwatch (a path, a file, a value): exit code 2, message without a stack. */
export class InputError extends Error {
  override name = "InputError";
}
