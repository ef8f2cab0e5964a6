/**
 * What @effect/cli itself needs to run a command line (FileSystem, Path, Terminal,
 * its config) and no more: NodeContext would also build a command executor and
 * worker support at every start. Provided only where the command line goes
 * through @effect/cli (src/parsedCommandLine.ts).
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Layer from "effect/Layer"

export const layer = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, CliConfig.layer({ showBuiltIns: false }))
