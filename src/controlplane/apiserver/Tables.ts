/**
 * kubectl's human output asks for `as=Table`; the server renders the cells (name,
 * age, the in-tree printers of core kinds, a CRD's printer columns) with
 * src/domain/k8s/Table.ts. Rows carry PartialObjectMetadata (kubectl's
 * `-A`, `--show-labels` and `-L` read them).
 */
import type { KubeObject } from "../../domain/KubeObject.js"
import type { JsonObject } from "../../domain/k8s/Json.js"
import * as Table from "../../domain/k8s/Table.js"
import type { ResourceInfo } from "./Registry.js"

/** kubectl sends `application/json;as=Table;v=v1;g=meta.k8s.io,...`. */
export const wantsTable = (accept: string | undefined): boolean =>
  accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept)

export const forObjects = (
  info: ResourceInfo,
  items: ReadonlyArray<KubeObject>,
  resourceVersion: string,
  continueToken?: string,
  omitColumns?: boolean
): Table.Table => {
  // a view (events.k8s.io Events) prints like the resource it shows, from the stored shape
  const view = info.view
  const printed = view === undefined ? info : view.stored
  return Table.toTable(
    Table.columnsFor(printed.group, printed.kind, printed.printerColumns),
    (view === undefined ? items : items.map(view.toStored)) as unknown as ReadonlyArray<JsonObject>,
    {
      nowMs: Date.now(),
      resourceVersion,
      ...(continueToken === undefined ? {} : { continue: continueToken }),
      ...(omitColumns === true ? { omitColumnDefinitions: true } : {})
    }
  )
}
