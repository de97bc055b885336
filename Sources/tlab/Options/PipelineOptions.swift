// The pipeline argument and `-S` overrides shared by run, status, dag and report, and loading the
// plan they describe, with the one-line error for a missing file.
import ArgumentParser
import Foundation
import Pipeline
import Reporting

struct PipelineOptions: ParsableArguments {
    static let defaultPipeline = "pipelines/fashion-transfer.yaml"

    @Argument(help: ArgumentHelp("Pipeline file.", valueName: "pipeline"), completion: .file(extensions: ["yaml", "yml"]))
    var pipeline: String = defaultPipeline

    @Option(name: .customShort("S"), help: ArgumentHelp(
        "Override a parameter: STAGE.PARAM=VALUE, variants.VARIANT.PARAM=VALUE or seed=N (repeatable).",
        valueName: "key=value"))
    var overrides: [String] = []

    /// The checked plan; every problem in the file or the overrides is thrown at once.
    func plan() throws -> PipelinePlan {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pipeline, isDirectory: &isDirectory), !isDirectory.boolValue else {
            let listed = (try? FileManager.default.contentsOfDirectory(atPath: "pipelines")) ?? []
            throw CommandError.pipelineNotFound(path: pipeline,
                                                available: listed.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted())
        }
        return try PipelinePlan(contentsOf: pipeline, overrides: overrides)
    }
}

/// How the recipe check's findings print on a terminal.
enum RecipeWarningText {
    /// Writes `plan`'s warnings once to standard error: what run, status and dag do once they know
    /// they can work (a store that cannot be opened fails with its one-line error alone).
    static func print(_ plan: PipelinePlan) {
        let text = lines(plan.recipeWarnings)
        if !text.isEmpty { FileHandle.standardError.write(Data((text.joined(separator: "\n") + "\n").utf8)) }
    }

    /// `warning: …` for each warning, then one `acknowledged (accept_warnings): …` line naming the
    /// acknowledged ones; empty when there are none.
    static func lines(_ warnings: [RecipeWarning]) -> [String] {
        let accepted = warnings.filter(\.accepted).map(\.rule.rawValue)
        var lines = warnings.filter { !$0.accepted }.map { "warning: \($0)" }
        if !accepted.isEmpty {
            lines.append("acknowledged (accept_warnings): " + accepted.joined(separator: ", ") + "; `tlab check` shows them")
        }
        return lines
    }
}
