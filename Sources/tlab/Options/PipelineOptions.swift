// The pipeline argument and `-S` overrides shared by run, status, dag and report, and loading the
// plan they describe, with the one-line error for a missing file.
import ArgumentParser
import Foundation
import Pipeline

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
