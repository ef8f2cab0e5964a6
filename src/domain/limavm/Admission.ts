/**
 * The admission texts of the LimaVM API (reference/go-rdd-limavm.md 2.3, kept
 * word for word because scripts match them) and the names of the admission
 * plugins that produce them; the server prefixes each denial with
 * `admission webhook "<plugin>" denied the request: `.
 */
import { Kind, TemplateCopyLabel } from "../LimaVm.js"

export const DefaulterName = "limavm-defaulter.lima.rancherdesktop.io"
export const ValidatorName = "limavm-validator.lima.rancherdesktop.io"
export const ConfigMapValidatorName = "limavm-configmap-validator.lima.rancherdesktop.io"

export const nameInUse = (name: string, namespace: string): string =>
  `LimaVM name ${JSON.stringify(name)} is already used in namespace ${JSON.stringify(namespace)}; LimaVM names must be unique across all namespaces`

export const configMapNotFound = (name: string): string => `configmaps ${JSON.stringify(name)} not found`
export const configMapExists = (name: string): string => `configmaps ${JSON.stringify(name)} already exists`
export const invalidName = (name: string, problems: ReadonlyArray<string>): string =>
  `LimaVM name ${JSON.stringify(name)} is not a valid VM name: ${problems.join("; ")}`

export const templateRefImmutable = "templateRef is immutable"
export const templateRefRequired = "spec.templateRef.name is required"
export const labelRemoval = `cannot remove ${TemplateCopyLabel} label: resource is owned`

export const ownedDeletion = (name: string, ownerKind: string): string =>
  `cannot delete ${JSON.stringify(name)}: owned by ${ownerKind}; delete the ${ownerKind} resource instead`

export const ownedCopyDeletion = (name: string): string => ownedDeletion(name, Kind)
