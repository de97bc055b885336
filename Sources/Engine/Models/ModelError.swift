// Errors in describing, building and loading models: each names the field, key or value at fault and
// what would have been valid.

/// A model configuration, freezing spec or weight dictionary that cannot be used.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A configuration field out of range, e.g. `("growthRate", "0", "a positive integer")`.
    case invalidConfig(field: String, value: String, expected: String)
    /// A layer's input of this shape is too small for it (its output would be empty).
    case inputTooSmall(shape: [Int], layer: String)
    /// A freeze target names no layer or block of the backbone.
    case unknownFreezeTarget(String, examples: [String])
    /// A weight dictionary lacks a tensor the model needs.
    case missingWeight(key: String)
    /// A weight dictionary holds a tensor the model has no place for.
    case unexpectedWeight(key: String)
    /// A weight dictionary holds a tensor of the wrong shape.
    case weightShapeMismatch(key: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .invalidConfig(field, value, expected):
            return "model config: \(field) is \(value); expected \(expected)"
        case let .inputTooSmall(shape, layer):
            return "\(layer) cannot take an input of shape \(shape): its output would be empty; use a larger input or resize"
        case let .unknownFreezeTarget(name, examples):
            return "freeze target '\(name)' names no backbone layer or block; valid targets look like "
                + examples.map { "'\($0)'" }.joined(separator: ", ")
        case let .missingWeight(key):
            return "weights: missing key '\(key)'"
        case let .unexpectedWeight(key):
            return "weights: key '\(key)' matches no tensor of this model (a different depth or head?)"
        case let .weightShapeMismatch(key, expected, found):
            return "weights: key '\(key)' has shape \(found); the model needs \(expected)"
        }
    }
}
