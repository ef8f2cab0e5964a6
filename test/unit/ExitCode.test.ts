import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Exit } from "effect"
import * as Errors from "../../src/domain/Errors.js"
import { exitCodeFor, exitCodeOf } from "../../src/domain/ExitCode.js"

describe("exitCodeFor", () => {
  it.each([
    [new Errors.UsageError({ message: "x" }), 2],
    [new Errors.Rejected({ message: "x" }), 3],
    [new Errors.WaitTimeout({ what: "x", budget: Duration.seconds(1) }), 4],
    [new Errors.NotFound({ message: "x" }), 1],
    [new Errors.Failure({ message: "x" }), 1],
    [new Errors.Interrupted({ message: "x" }), 130],
    [new Cause.TimeoutException(), 4],
    [new Error("plain"), 1],
    ["string", 1]
  ])("%s → %i", (error, code) => expect(exitCodeFor(error)).toBe(code))

  it("maps whole outcomes: success 0, interruption 130, defect 1", () => {
    expect(exitCodeOf(Exit.succeed(1))).toBe(0)
    expect(exitCodeOf(Exit.interrupt(Exit.succeed(1) as never))).toBe(130)
    expect(exitCodeOf(Exit.die(new Error("bug")))).toBe(1)
    expect(exitCodeOf(Exit.fail(new Errors.Rejected({ message: "no" })))).toBe(3)
  })
})
