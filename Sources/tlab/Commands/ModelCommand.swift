// `tlab model summary`: the Keras-like layer table of a model — backbone, head, freezing and input
// size as options — without building its weights.
import ArgumentParser
import Engine

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
            Shapes are per example, channels first. Frozen layers are marked with '*'; their \
            parameters count as non-trainable, as do BatchNorm running statistics.

            EXAMPLES:
              tlab model summary
              tlab model summary --model densenet-121 --input 3x155x155 --head study-frozen --freeze backbone
              tlab model summary --model densenet-bc --depth 40 --growth 12 --input 1x28x28 --classes 5
              tlab model summary --freeze denseblock3 --json | jq .trainable
            """)

    enum Family: String, ExpressibleByArgument, CaseIterable {
        case densenet121 = "densenet-121", densenetBC = "densenet-bc"
    }

    enum Stem: String, ExpressibleByArgument, CaseIterable {
        case auto, small, imagenet
    }

    @OptionGroup var output: OutputOptions

    @Option(help: "Backbone family.")
    var model: Family = .densenet121

    @Option(help: "DenseNet-BC depth (densenet-bc only).")
    var depth = 40

    @Option(help: "DenseNet-BC growth rate (densenet-bc only).")
    var growth = 12

    @Option(help: "DenseNet-BC dense blocks (densenet-bc only).")
    var blocks = 3

    @Option(help: "Transition compression (densenet-bc only).")
    var compression = 0.5

    @Option(help: "Stem: small (3x3 conv) or imagenet (7x7 conv + pool); auto picks imagenet for densenet-121 or inputs over 64 px.")
    var stem: Stem = .auto

    @Option(help: ArgumentHelp("Input image as CxHxW.", valueName: "CxHxW"))
    var input = "3x224x224"

    @Option(help: ArgumentHelp("Resize inputs to NxN inside the model.", valueName: "N"))
    var resize: Int?

    @Option(help: "Head preset: linear, linear-max, study-optimized, study-frozen or none.")
    var head = "linear"

    @Option(help: "Classes the head predicts.")
    var classes = 10

    @Option(help: ArgumentHelp("Frozen part: none, backbone, or a layer or block (e.g. denseblock3).", valueName: "part"))
    var freeze = "none"

    func validate() throws {
        guard inputShape != nil else {
            throw ValidationError("--input must be CxHxW with positive integers, like 3x224x224, not '\(input)'")
        }
    }

    private var inputShape: [Int]? {
        let parts = input.lowercased().split(separator: "x").compactMap { Int($0) }
        return parts.count == 3 && parts.allSatisfy({ $0 > 0 }) ? parts : nil
    }

    struct Layer: Encodable {
        let name: String
        let type: String
        let outputShape: [Int]
        let parameters: Int
        let frozen: Bool
    }

    struct Summary: Encodable {
        let layers: [Layer]
        let total: Int
        let trainable: Int
        let nonTrainable: Int
    }

    func run() throws {
        let shape = inputShape!
        var backbone = model == .densenet121 ? DenseNetConfig.densenet121
            : try DenseNetConfig.bc(depth: depth, growthRate: growth, blocks: blocks, compression: compression)
        let size = max(shape[1], shape[2], resize ?? 0)
        let imagenetStem = stem == .imagenet || (stem == .auto && (model == .densenet121 || size > 64))
        backbone.stem = imagenetStem ? .imagenet : .small
        let freezing: Freezing = freeze == "none" ? .none : freeze == "backbone" ? .backbone : .upTo(freeze)
        let config = ModelConfig(inputShape: shape,
                                 input: InputStage(resize: resize.map { ImageSize(height: $0, width: $0) }),
                                 backbone: backbone, head: try Head.preset(head, classes: classes), freezing: freezing)
        let summary = ModelSummary(try ModelDescription(config))
        if output.json {
            return try JSONOutput.print(Summary(
                layers: summary.rows.map { Layer(name: $0.name, type: $0.type, outputShape: $0.outputShape,
                                                 parameters: $0.count, frozen: $0.isFrozen) },
                total: summary.total, trainable: summary.trainable, nonTrainable: summary.nonTrainable))
        }
        print(summary.rendered(), terminator: "")
    }
}
