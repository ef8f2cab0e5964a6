/**
 * `rdd limavm edit NAME` (the Go tool's `limavm edit`): opens the VM's template
 * copy (the one live template, reference go-rdd-limavm 54) in the user's editor
 * and writes the result back with an update through the API, so admission
 * validates it like any other write and the controller applies it (a changed
 * template restarts a running VM). As kubectl edit: an unchanged text writes
 * nothing; a rejected text reopens the editor with the reason on top, and saving
 * that same text again gives up with the rejection (exit 3), keeping the file.
 * The update carries the resourceVersion that was read: a template changed by
 * someone else meanwhile is a conflict, never overwritten.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Deadline from "../domain/Deadline.js"
import { Failure, NotFound, Rejected } from "../domain/Errors.js"
import { Core, type KubeObject } from "../domain/KubeObject.js"
import * as LimaVm from "../domain/LimaVm.js"
import * as TemplateEdit from "../domain/limavm/TemplateEdit.js"
import { ensureRunning } from "./Autostart.js"
import { Editor } from "./Editor.js"
import { KubeClient } from "./KubeClient.js"
import { find } from "./LimaVmOps.js"

const q = (s: string) => JSON.stringify(s)

const dataOf = (cm: KubeObject): Readonly<Record<string, string>> =>
  (typeof cm["data"] === "object" && cm["data"] !== null ? cm["data"] : {}) as Record<string, string>

export const edit = (name: string, deadline: Deadline.Deadline) =>
  Effect.gen(function*() {
    yield* ensureRunning(deadline)
    const kube = yield* KubeClient
    const editor = yield* Editor
    const found = yield* find(name)
    if (Option.isNone(found)) return yield* new NotFound({ message: `LimaVM ${q(name)} not found in any namespace` })
    const vm = found.value
    const cmName = vm.status.templateConfigMap ?? LimaVm.templateCopyName(vm.name)
    const ref = { type: Core.configmaps, namespace: vm.namespace, name: cmName }
    const cm = yield* kube.get(ref)
    if (Option.isNone(cm)) return yield* new NotFound({ message: `LimaVM ${q(name)} does not have a template ConfigMap (${q(cmName)} not found)` })
    const original = dataOf(cm.value)["template"] ?? ""
    const file = yield* editor.tempFile(`${name}-template-`)
    const keepFile = (message: string) => `${message}; your changes are kept in ${file}`
    const round = (text: string, rejected?: Rejected): Effect.Effect<void, Failure | Rejected | NotFound, never> =>
      Effect.gen(function*() {
        const edited = yield* editor.edit(file, rejected === undefined ? text : TemplateEdit.header(rejected.message) + text)
        const verdict = TemplateEdit.judge(original, edited, rejected === undefined ? undefined : text)
        switch (verdict._tag) {
          case "Cleared":
            yield* editor.discard(file)
            return yield* new Failure({ message: TemplateEdit.ClearedMessage })
          case "Unchanged":
            yield* editor.discard(file)
            return yield* Effect.logInfo(TemplateEdit.UnchangedMessage)
          case "GaveUp":
            return yield* new Rejected({ message: keepFile(`Edit cancelled, no valid changes were saved: ${rejected!.message}`) })
          case "Changed": {
            const updated = yield* kube.update(ref, { ...cm.value, data: { ...dataOf(cm.value), template: verdict.template } }).pipe(
              Effect.as(true),
              Effect.catchTag("Rejected", (e) => Effect.as(round(verdict.template.trimEnd(), e), false)),
              Effect.catchTag("Conflict", () =>
                Effect.fail(new Failure({ message: keepFile(`template ConfigMap ${q(cmName)} was changed by someone else during the edit; run edit again`) }))),
              Effect.catchTag("NotFound", () => Effect.fail(new NotFound({ message: keepFile(`template ConfigMap ${q(cmName)} was deleted during the edit`) }))),
              Effect.catchTag("AlreadyExists", "Unavailable", (e) => Effect.fail(new Failure({ message: keepFile(`failed to update template ConfigMap ${q(cmName)}: ${e.message}`) })))
            )
            if (!updated) return
            yield* editor.discard(file)
            yield* Effect.logInfo(`Template ConfigMap ${q(cmName)} updated successfully`)
          }
        }
      })
    yield* round(original).pipe(Effect.onInterrupt(() => editor.discard(file)))
  })
