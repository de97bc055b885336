// `tlab model summary`: the Keras-like layer table of the model a pipeline builds — backbone, head,
// freezing and input size given as the pipeline file's parameters — without building its weights.
import ArgumentParser
import Pipeline

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Describe models the engine builds.",
        discussion: """
            EXAMPLES:
              tlab model summary --model densenet-121 --input 3x155x155 --head study-optimized
            """,
        subcommands: [ModelSummaryCommand.self])
}

struct ModelSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts, like Keras's summary().",
        discussion: """
            The options are the pipeline file's parameters of the same names (pretrain's \
            architecture, fine-tune's head and pooling, freeze's freeze), with the same values and \
            defaults, and the model is built the way those stages build it. Shapes are per example, \
            channels first. Frozen layers are marked with '*'; their parameters count as \
            non-trainable, as do BatchNorm running statistics.

            EXAMPLES:
              tlab model summary --model densenet-121 --head none
              tlab model summary --model densenet-121 --input 3x155x155 --head study-frozen --freeze backbone
              tlab model summary --depth 40 --growth 12 --input 1x28x28 --classes 5
              tlab model summary --model densenet-121 --freeze up-to:denseblock3 --json | jq .trainable
            """)

    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp(ModelPreview.help(for: "model"), valueName: "family"))
    var model: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "depth"), valueName: "n"))
    var depth: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "growth"), valueName: "n"))
    var growth: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "blocks"), valueName: "n"))
    var blocks: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "compression"), valueName: "share"))
    var compression: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "stem"), valueName: "stem"))
    var stem: String?

    @Option(name: .customLong("input-size"), help: ArgumentHelp(ModelPreview.help(for: "input_size"), valueName: "N"))
    var inputSize: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "head"), valueName: "head"))
    var head: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "pooling"), valueName: "pooling"))
    var pooling: String?

    @Option(help: ArgumentHelp(ModelPreview.help(for: "freeze"), valueName: "part"))
    var freeze: String?

    @Option(help: ArgumentHelp("Input image as CxHxW (what preprocess stores).", valueName: "CxHxW"))
    var input = "3x224x224"

    @Option(help: "Classes the head predicts.")
    var classes = 10

    func validate() throws {
        guard inputShape != nil else {
            throw ValidationError("--input must be CxHxW with positive integers, like 3x224x224, not '\(input)'")
        }
        guard classes > 0 else { throw ValidationError("--classes must be at least 1, got \(classes)") }
    }

    private var inputShape: [Int]? {
        let parts = input.lowercased().split(separator: "x").compactMap { Int($0) }
        return parts.count == 3 && parts.allSatisfy({ $0 > 0 }) ? parts : nil
    }

    /// The options given, by the pipeline parameter each sets.
    private var parameters: [String: String] {
        let given: [(String, String?)] = [
            ("model", model), ("depth", depth), ("growth", growth), ("blocks", blocks), ("compression", compression),
            ("stem", stem), ("input_size", inputSize), ("head", head), ("pooling", pooling), ("freeze", freeze),
        ]
        return Dictionary(uniqueKeysWithValues: given.compactMap { name, value in value.map { (name, $0) } })
    }

    func run() throws {
        let preview = try ModelPreview(parameters: parameters, inputShape: inputShape!, classes: classes)
        if output.json { return try JSONOutput.print(preview) }
        print(preview.rendered, terminator: "")
    }
}
