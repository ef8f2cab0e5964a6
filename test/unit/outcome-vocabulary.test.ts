/**
 * The `--output json` outcome words per verb are defined once in docs/lifecycle.md
 * ("Outcomes") and once in code (Outcome.Vocabulary): the two must say the same.
 */
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import * as Outcome from "../../src/services/Outcome.js"

const doc = readFileSync(path.resolve(import.meta.dirname, "../../docs/lifecycle.md"), "utf8")

/** verb -> the words of its row in the Outcomes table */
const documented = (): Record<string, ReadonlyArray<string>> => {
  const from = doc.indexOf("### Outcomes")
  const section = doc.slice(from, doc.indexOf("\n#", from + 1))
  const rows = section.split("\n").filter((l) => /^\| `[^`]+` \|/.test(l))
  return Object.fromEntries(rows.map((row) => {
    const [verb, ...cells] = row.split("|").slice(1, -1)
    const words = cells.join(" ").match(/`[a-z]+`/g)?.map((w) => w.slice(1, -1)).filter((w) => w !== "start") ?? []
    return [verb!.trim().slice(1, -1), [...new Set(words)].sort()]
  }))
}

describe("outcome vocabulary", () => {
  it("docs/lifecycle.md's table is Outcome.Vocabulary, verb by verb", () => {
    const code = Object.fromEntries(Object.entries(Outcome.Vocabulary).map(([verb, words]) => [verb, [...words].sort()]))
    assert.deepStrictEqual(documented(), code)
  })

  it("the success words never reuse a failure word", () => {
    for (const words of Object.values(Outcome.Vocabulary)) {
      for (const w of words) assert.notInclude(Outcome.FailureOutcomes as ReadonlyArray<string>, w)
    }
  })
})
