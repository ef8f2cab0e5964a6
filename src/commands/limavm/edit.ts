/**
 * `rdd limavm edit NAME`: edit a LimaVM's template in $KUBE_EDITOR, $EDITOR or
 * $VISUAL (else vi); the program is services/LimaVmEdit.ts.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Deadline from "../../domain/Deadline.js"
import * as Timeouts from "../../domain/Timeouts.js"
import * as LimaVmEdit from "../../services/LimaVmEdit.js"

export const edit = Command.make("edit", {
  name: Args.text({ name: "NAME" }).pipe(Args.withDescription("The LimaVM whose template to edit"))
}, (o) => Effect.flatMap(Deadline.start(Timeouts.StartWait), (deadline) => LimaVmEdit.edit(o.name, deadline))).pipe(
  Command.withDescription("Edit a LimaVM's template in $KUBE_EDITOR, $EDITOR or $VISUAL; the API server validates it (a running VM restarts with it)")
)
