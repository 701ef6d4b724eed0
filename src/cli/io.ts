/** The streams a command writes to; injected so that tests (and browsers) can capture them. */
export interface Io {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

/** A write that failed because the reading end of the pipe is closed. */
function isClosedPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null | undefined)?.code === "EPIPE";
}

/**
 * One of the process's streams, ending the process quietly (exit code 0) once its reader has gone,
 * as a Unix tool killed by SIGPIPE does: `refheap stats | head -1`. Node ignores SIGPIPE, so the
 * write fails with EPIPE instead, reported by an 'error' event that, unhandled, is an uncaught
 * exception with a stack trace. The failure is also visible at once in `stream.errored`, so a
 * long synchronous command (a demo) stops at its next write rather than at its end.
 */
function endingOnClosedPipe(stream: NodeJS.WriteStream): Io["stdout"] {
  stream.on("error", (e: unknown) => {
    if (isClosedPipe(e)) process.exit(0);
    throw e;
  });
  // A terminal is no pipe; the progress bar (util.ts) needs the stream itself to move the cursor.
  if (stream.isTTY === true) return stream;
  return {
    write(text: string): boolean {
      const ok = stream.write(text);
      if (isClosedPipe(stream.errored)) process.exit(0);
      return ok;
    },
  };
}

/** The process's stdout and stderr for bin/refheap.js: a closed pipe ends the command quietly. */
export function processIo(): Io {
  return { stdout: endingOnClosedPipe(process.stdout), stderr: endingOnClosedPipe(process.stderr) };
}
