/**
 * A mistake in what the user gave portwatch (an option, a path, a file, a value), as opposed to a bug in
 * portwatch. Every layer throws this one type for such mistakes; the command line prints the message
 * (which names the action, quotes the value and gives the place) without a stack and exits with
 * `exitCode`. Anything else that escapes is a bug: exit 3, "please report".
 */
export class InputError extends Error {
  override name = "InputError";
  /** The process exit code for a usage or input error. */
  readonly exitCode = 2 as const;
}

/** True for the user's mistakes (InputError), also across module copies (the library and the bundled command). */
export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError || (e instanceof Error && e.name === "InputError");
}
