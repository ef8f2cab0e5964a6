/** Log rotation's plan (SPEC 1.5): backups numbered upward, the 5 newest kept unless RDD_KEEP_LOGS. */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, Option } from "effect"
import { KeepBackups, plan } from "../../src/services/LogRotation.js"

const backups = fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 20 })

describe("LogRotation.plan", () => {
  it.prop("the current log becomes max+1; exactly the 5 newest backups survive; others' files are untouched", [backups, fc.boolean(), fc.boolean()], ([nums, hasCurrent, keepAll]) => {
    const names = [...nums.map((n) => `rdd.stderr.${n}.log`), ...(hasCurrent ? ["rdd.stderr.log"] : []), "rdd.stdout.3.log", "other.log"]
    const p = plan("rdd.stderr", names, keepAll)
    const max = nums.reduce((a, b) => Math.max(a, b), 0)
    assert.deepStrictEqual(p.backup, hasCurrent ? Option.some(`rdd.stderr.${max + 1}.log`) : Option.none())
    const after = [...nums, ...(hasCurrent ? [max + 1] : [])].filter((n) => !p.remove.includes(`rdd.stderr.${n}.log`))
    if (keepAll) assert.deepStrictEqual(p.remove, [])
    else {
      const newest = [...nums, ...(hasCurrent ? [max + 1] : [])].sort((a, b) => b - a).slice(0, KeepBackups)
      assert.sameMembers(after.filter((n) => newest.includes(n)), after, "only the newest survive")
      assert.isAtMost(after.length, KeepBackups)
    }
    for (const r of p.remove) assert.match(r, /^rdd\.stderr\.[0-9]+\.log$/)
  })

  it("numbers keep increasing (no reuse after pruning)", () => {
    const p = plan("rdd.stdout", ["rdd.stdout.log", "rdd.stdout.7.log", "rdd.stdout.8.log"], false)
    assert.deepStrictEqual(p.backup, Option.some("rdd.stdout.9.log"))
    assert.deepStrictEqual(p.remove, [])
  })
})
