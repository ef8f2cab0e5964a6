/**
 * kubectl's human output asks for `as=Table`; the server renders the cells (name,
 * age, a CRD's printer columns). Built on src/domain/k8s/Table.ts.
 */
import type { KubeObject } from "../../domain/KubeObject.js"
import type { ResourceInfo } from "./Registry.js"

/** Until the Table renderer lands, kubectl gets a plain list (it then prints NAME and AGE itself). */
export const wantsTable = (_accept: string | undefined): boolean => false

export const forObjects = (
  _info: ResourceInfo,
  items: ReadonlyArray<KubeObject>,
  resourceVersion: string,
  _continueToken?: string,
  _omitColumns?: boolean
): unknown => ({ kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion }, columnDefinitions: [], rows: items.map(() => ({ cells: [] })) })
