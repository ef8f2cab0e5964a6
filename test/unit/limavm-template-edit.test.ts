/** `limavm edit`: the editor's choice and the verdict on an edited template, from the texts alone. */
import { assert, describe, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import * as TemplateEdit from "../../src/domain/limavm/TemplateEdit.js"

const template = "# a comment the user keeps\nvmType: qemu\ncpus: 1\n"

describe("TemplateEdit", () => {
  it("editorOf: KUBE_EDITOR, then EDITOR, then VISUAL (blank ones skipped), else vi", () => {
    assert.strictEqual(TemplateEdit.editorOf({ KUBE_EDITOR: "nano", EDITOR: "ed", VISUAL: "code --wait" }), "nano")
    assert.strictEqual(TemplateEdit.editorOf({ KUBE_EDITOR: "  ", EDITOR: "ed", VISUAL: "code --wait" }), "ed")
    assert.strictEqual(TemplateEdit.editorOf({ VISUAL: " code --wait " }), "code --wait")
    assert.strictEqual(TemplateEdit.editorOf({}), "vi")
  })

  it("judge: unchanged (also with other surrounding blank space), cleared, changed (trimmed, one final newline)", () => {
    assert.deepStrictEqual(TemplateEdit.judge(template, template), { _tag: "Unchanged" })
    assert.deepStrictEqual(TemplateEdit.judge(template, `\n${template}\n\n`), { _tag: "Unchanged" })
    assert.deepStrictEqual(TemplateEdit.judge(template, " \n\t\n"), { _tag: "Cleared" })
    assert.deepStrictEqual(TemplateEdit.judge(template, template.replace("cpus: 1", "cpus: 2") + "\n\n"), {
      _tag: "Changed",
      template: "# a comment the user keeps\nvmType: qemu\ncpus: 2\n"
    })
  })

  it("judge: the rejected text saved again gives up; anything else is another try", () => {
    const rejected = template.replace("cpus: 1", "cpus: -1")
    const reopened = TemplateEdit.header("admission webhook denied the request: cpus must be positive") + rejected
    assert.deepStrictEqual(TemplateEdit.judge(template, reopened, rejected), { _tag: "GaveUp" })
    assert.deepStrictEqual(TemplateEdit.judge(template, reopened.replace("cpus: -1", "cpus: 4"), rejected), {
      _tag: "Changed",
      template: template.replace("cpus: 1", "cpus: 4")
    })
    // going back to the original is "no changes", not giving up
    assert.deepStrictEqual(TemplateEdit.judge(template, TemplateEdit.header("x") + template, rejected), { _tag: "Unchanged" })
  })

  it("header lines are comments that strip removes again, whatever the problem's text (several lines included)", () => {
    FastCheck.assert(FastCheck.property(FastCheck.string(), FastCheck.string(), (problem, text) => {
      const shown = TemplateEdit.header(problem)
      for (const line of shown.trimEnd().split("\n")) assert.isTrue(line.startsWith("# rdd:"), line)
      // the template's own lines survive unless they are rdd's marker lines
      const own = text.split("\n").filter((l) => !l.startsWith("# rdd:")).join("\n")
      assert.strictEqual(TemplateEdit.strip(shown + own), own)
    }))
  })

  it("judge never calls a text with real content Cleared, and Changed is always trimmed with one newline", () => {
    FastCheck.assert(FastCheck.property(FastCheck.string(), FastCheck.string(), (original, edited) => {
      const v = TemplateEdit.judge(original, edited)
      const body = TemplateEdit.strip(edited).trim()
      if (v._tag === "Cleared") assert.strictEqual(body, "")
      if (v._tag === "Changed") {
        assert.strictEqual(v.template, `${body}\n`)
        assert.notStrictEqual(body, original.trim())
      }
      if (v._tag === "Unchanged") assert.strictEqual(body, original.trim())
    }))
  })
})
