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
): Table.Table =>
  Table.toTable(
    Table.columnsFor(info.group, info.kind, info.printerColumns),
    items as unknown as ReadonlyArray<JsonObject>,
    {
      nowMs: Date.now(),
      resourceVersion,
      ...(continueToken === undefined ? {} : { continue: continueToken }),
      ...(omitColumns === true ? { omitColumnDefinitions: true } : {})
    }
  )
