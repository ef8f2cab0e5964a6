/**
 * The editor from KUBE_EDITOR/EDITOR/VISUAL (else vi), run through `sh -c` so a
 * value with arguments (`code --wait`) works as it does for kubectl, sharing
 * rdd's stdin/stdout/stderr. Temporary files live in their own private
 * directory under the system's temp dir.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Failure } from "../domain/Errors.js"
import { editorOf } from "../domain/limavm/TemplateEdit.js"
import { Editor } from "../services/Editor.js"

const io = <A>(what: string, f: () => A) =>
  Effect.try({ try: f, catch: (e) => new Failure({ message: `${what}: ${e instanceof Error ? e.message : String(e)}`, cause: e }) })

const runEditor = (editor: string, file: string) =>
  Effect.async<number, Failure>((resume) => {
    const child = spawn("/bin/sh", ["-c", `${editor} "$1"`, "rdd-editor", file], { stdio: "inherit" })
    child.once("error", (e) => resume(Effect.fail(new Failure({ message: `could not run the editor ${JSON.stringify(editor)}: ${e.message}`, cause: e }))))
    child.once("exit", (code) => resume(Effect.succeed(code ?? 255)))
    return Effect.sync(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    })
  })

export const layer = Layer.succeed(Editor, {
  tempFile: (prefix) =>
    io("could not create a temporary file for the editor", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-edit-"))
      const file = path.join(dir, `${prefix}${path.basename(dir).slice("rdd-edit-".length)}.yaml`)
      fs.writeFileSync(file, "", { mode: 0o600 })
      return file
    }),
  edit: (file, text) =>
    Effect.gen(function*() {
      yield* io(`could not write ${file}`, () => fs.writeFileSync(file, text))
      const editor = editorOf(process.env)
      const code = yield* runEditor(editor, file)
      if (code !== 0) {
        return yield* new Failure({ message: `the editor ${JSON.stringify(editor)} exited with code ${code}; nothing was saved (your text is in ${file})` })
      }
      return yield* io(`could not read ${file}`, () => fs.readFileSync(file, "utf8"))
    }),
  discard: (file) => Effect.sync(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }))
})
