// What can stop a stage: inputs that are not what it needs, parameters the engine cannot honour.
import Datasets

/// A stage that cannot produce its outputs. Each message names the stage, what is wrong and what
/// would be valid.
public enum StageError: Error, Equatable, CustomStringConvertible {
    /// The stage needs input `input` (`port/output`), which its producers did not provide.
    case missingInput(stage: String, input: String, available: [String])
    /// An input artifact does not hold what the stage expects.
    case malformedInput(stage: String, input: String, reason: String)
    /// A parameter (or combination) the implementation cannot carry out.
    case unsupported(stage: String, parameter: String, value: String, expected: String)
    /// A tensor in an artifact is missing or of another element type than the stage reads.
    case malformedTensor(name: String, reason: String)
    /// The raw files of a download are of no format preprocess reads.
    case unknownDataFormat(stage: String, files: [String])

    public var description: String {
        switch self {
        case let .missingInput(stage, input, available):
            return "stage \(stage): needs input '\(input)', which its producers do not provide; available: "
                + (available.isEmpty ? "none" : available.joined(separator: ", "))
        case let .malformedInput(stage, input, reason):
            return "stage \(stage): input '\(input)' \(reason)"
        case let .unsupported(stage, parameter, value, expected):
            return "stage \(stage): \(parameter) \(value) is not supported; expected \(expected)"
        case let .malformedTensor(name, reason):
            return "tensor '\(name)' \(reason)"
        case let .unknownDataFormat(stage, files):
            return "stage \(stage): cannot read raw files \(files.joined(separator: ", ")); preprocess reads the "
                + "CIFAR-10 binary tarball (\(CIFAR10Reader.archiveName)), the four Fashion-MNIST IDX files, or synthetic data"
        }
    }
}
