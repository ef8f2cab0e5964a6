/** Running kubectl with its exit code passed on, without @effect/cli (for `rdd kubectl` and `rdd ctl`). */
import * as Effect from "effect/Effect"
import { ChildExit } from "../domain/Errors.js"
import { Kubectl } from "../services/Kubectl.js"

/** Runs kubectl and turns a non-zero exit into ChildExit (the same exit code, no extra message). */
export const runKubectl = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) =>
  Effect.flatMap(Kubectl, (k) => k.run(args, env)).pipe(
    Effect.flatMap((code) => (code === 0 ? Effect.void : Effect.fail(new ChildExit({ code, message: `kubectl exited with code ${code}` }))))
  )
