/** NodeInstanceDir on real files: args.json is written once, whole, private. */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { readFileSync, statSync } from "node:fs"
import * as Instance from "../../src/domain/Instance.js"
import * as NodeInstanceDir from "../../src/layers/NodeInstanceDir.js"
import { tempHome } from "../support/rdd.js"

describe("NodeInstanceDir.writeArgs", () => {
  it.effect("writes args.json (0600) once; a second write returns false and changes nothing", () => {
    const t = tempHome("rdd-idir-")
    const dir = NodeInstanceDir.make(Either.getOrThrow(Instance.make("idir")), { home: t.home, platform: "linux" })
    return Effect.gen(function*() {
      expect(yield* dir.writeArgs(["--controllers", "*"])).toBe(true)
      expect(yield* dir.writeArgs(["--controllers", "-limavm"])).toBe(false)
      expect(yield* dir.readArgs).toEqual(Option.some(["--controllers", "*"]))
      expect(statSync(dir.paths.args_file).mode & 0o777).toBe(0o600)
      expect(JSON.parse(readFileSync(dir.paths.args_file, "utf8"))).toEqual(["--controllers", "*"])
    }).pipe(Effect.ensuring(Effect.sync(t.cleanup)))
  })
})
