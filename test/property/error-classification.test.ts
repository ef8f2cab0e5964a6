/**
 * Each error class carries its own classification (Errors.ts); this checks it
 * against the three hand-written `_tag` switches it replaced (issue 11 item 5),
 * kept here verbatim as the oracle: exit code (ExitCode.exitCodeFor), outcome
 * kind (Outcome.failureKind) and the level of the stderr line (cli.ts report).
 */
import { assert, it } from "@effect/vitest"
import { Cause, Duration, Exit, FastCheck as fc } from "effect"
import * as Errors from "../../src/domain/Errors.js"
import { classify, exitCodeFor } from "../../src/domain/ExitCode.js"
import { recordOf } from "../../src/services/Outcome.js"

// ---- the oracle: the code as it was before the classification moved into the classes
const byTag: Record<string, number> = {
  UsageError: 2,
  Rejected: 3,
  WaitTimeout: 4,
  NotFound: 1,
  Failure: 1,
  Interrupted: 130,
  ChildExit: 1
}
const isTagged = (u: unknown): u is { readonly _tag: string } =>
  typeof u === "object" && u !== null && "_tag" in u && typeof (u as { _tag: unknown })._tag === "string"
const oldExitCodeFor = (error: unknown): number => {
  if (!isTagged(error)) return 1
  if (error._tag === "TimeoutException") return 4
  if (error._tag === "ChildExit" && "code" in error && typeof error.code === "number") return error.code
  return byTag[error._tag] ?? 1
}
const oldFailureKind = (e: unknown): string => {
  const tag = typeof e === "object" && e !== null && "_tag" in e ? (e as { _tag: unknown })._tag : undefined
  switch (tag) {
    case "WaitTimeout":
    case "TimeoutException":
      return "timeout"
    case "Rejected":
      return "rejected"
    case "Interrupted":
      return "interrupted"
    default:
      return "failed"
  }
}
const oldReportLevel = (e: unknown): string => {
  if (typeof e === "object" && e !== null && "_tag" in e && e._tag === "ChildExit") return "none"
  const code = oldExitCodeFor(e)
  return code === 3 || code === 4 || code === 130 ? "error" : "fatal"
}

// ---- every class of the union, with arbitrary fields; a class added to
// CommandError without an entry here does not compile
const text = fc.string({ maxLength: 40 })
const byClass: { readonly [K in Errors.CommandError["_tag"]]: fc.Arbitrary<Extract<Errors.CommandError, { _tag: K }>> } = {
  UsageError: text.map((message) => new Errors.UsageError({ message })),
  Rejected: fc.record({ message: text, code: fc.integer({ min: 100, max: 599 }), reason: text }, { requiredKeys: ["message"] })
    .map((f) => new Errors.Rejected(f)),
  WaitTimeout: fc.record({ what: text, ms: fc.nat(10_000_000), leftBehind: text }, { requiredKeys: ["what", "ms"] })
    .map(({ ms, ...f }) => new Errors.WaitTimeout({ ...f, budget: Duration.millis(ms) })),
  NotFound: text.map((message) => new Errors.NotFound({ message })),
  Failure: fc.record({ message: text, cause: fc.anything() }).map((f) => new Errors.Failure(f)),
  Interrupted: text.map((message) => new Errors.Interrupted({ message })),
  ChildExit: fc.record({ code: fc.integer({ min: 0, max: 255 }), message: text }).map((f) => new Errors.ChildExit(f))
}
const anyError = fc.oneof(
  ...Object.values(byClass),
  fc.constant(new Cause.TimeoutException()),
  text.map((m) => new Error(m)),
  fc.anything()
)

it.prop("every error maps to the exit code it had before", [anyError], ([e]) => {
  assert.strictEqual(exitCodeFor(e), oldExitCodeFor(e))
})

it.prop("every error reports the outcome kind it had before", [anyError], ([e]) => {
  assert.strictEqual(classify(e).outcome, oldFailureKind(e))
  assert.strictEqual(recordOf("svc start", "i", 0, Exit.fail(e)).outcome, oldFailureKind(e))
})

it.prop("every error is reported at the level it had before", [anyError], ([e]) => {
  assert.strictEqual(classify(e).report, oldReportLevel(e))
})
