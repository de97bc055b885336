// Optimizers: SGD with momentum and weight decay, Adam (Keras form) and AdamW, with their state as
// named tensors so a checkpoint can save and restore it.

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A problem with optimizer state being restored from a checkpoint.
public enum OptimizerStateError: Error, CustomStringConvertible {
    case unknownTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case missing(String)

    public var description: String {
        switch self {
        case .unknownTensor(let name):
            return "optimizer state tensor '\(name)' names no parameter of this optimizer"
        case let .shapeMismatch(name, expected, found):
            return "optimizer state tensor '\(name)' has shape \(found), expected \(expected)"
        case .missing(let name):
            return "optimizer state lacks tensor '\(name)'"
        }
    }
}

/// Updates trainable parameters from their accumulated gradients; frozen ones are skipped.
///
/// State tensors (`state()`/`restore(_:)`), `P` being a parameter's name:
/// - `optimizer.step` [1]: updates done so far (exact to 2²⁴), `optimizer.learning_rate` [1];
/// - SGD: `optimizer.P.momentum`; Adam: `optimizer.P.m` and `optimizer.P.v`, the first and second
///   moment estimates. A parameter gets these at its first update, so frozen ones carry none.
public final class Optimizer {
    /// The update rule and its hyperparameters other than the learning rate.
    public enum Rule: Equatable, Sendable {
        /// PyTorch's SGD: g = grad + weightDecay·w; v = momentum·v + g; w −= lr·v.
        case sgd(momentum: Float, weightDecay: Float)
        /// Adam in Keras's form: ε is added to √v before bias correction (the paper's "ε̂"),
        /// w −= lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε). PyTorch adds ε to √v̂ instead: with the default
        /// ε the two differ only while v is tiny. `weightDecay` > 0 makes it AdamW: decay decoupled
        /// from the gradient, w −= lr·weightDecay·w before the Adam step (Keras and PyTorch AdamW).
        case adam(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)

        var slotNames: [String] {
            switch self {
            case .sgd: return ["momentum"]
            case .adam: return ["m", "v"]
            }
        }
    }

    public let rule: Rule
    /// Set between steps by learning-rate schedules.
    public var learningRate: Float
    public private(set) var stepCount: Int = 0
    public let parameters: [Parameter]
    /// Per parameter (by index), its slot tensors in `rule.slotNames` order, created at first update.
    private var slots: [[Tensor]?]

    public init(parameters: [Parameter], rule: Rule, learningRate: Float) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "optimizer parameters must have unique names")
        self.parameters = parameters
        self.rule = rule
        self.learningRate = learningRate
        slots = Array(repeating: nil, count: parameters.count)
    }

    /// SGD with momentum (0 for plain SGD) and L2 weight decay added to the gradient.
    public static func sgd(parameters: [Parameter], learningRate: Float, momentum: Float = 0.9,
                           weightDecay: Float = 0) -> Optimizer {
        Optimizer(parameters: parameters, rule: .sgd(momentum: momentum, weightDecay: weightDecay),
                  learningRate: learningRate)
    }

    /// Adam with Keras's defaults; a positive `weightDecay` makes it AdamW.
    public static func adam(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9,
                            beta2: Float = 0.999, epsilon: Float = 1e-7, weightDecay: Float = 0) -> Optimizer {
        Optimizer(parameters: parameters,
                  rule: .adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay),
                  learningRate: learningRate)
    }

    /// Applies one update to every trainable parameter. Does not clear the gradients.
    public func step() {
        stepCount += 1
        var jobs: [(index: Int, range: Range<Int>)] = []
        for (i, p) in parameters.enumerated() where p.trainable {
            if slots[i] == nil { slots[i] = rule.slotNames.map { _ in Tensor(zeros: p.value.shape) } }
            for start in stride(from: 0, to: p.value.count, by: Optimizer.chunk) {
                jobs.append((i, start..<min(start + Optimizer.chunk, p.value.count)))
            }
        }
        let lr = learningRate, t = Double(stepCount)
        parallelFor(chunks: jobs.count) { j in
            let (i, range) = jobs[j]
            let w = parameters[i].value.data, g = parameters[i].grad.data, s = slots[i]!
            switch rule {
            case let .sgd(momentum, weightDecay):
                let v = s[0].data
                forEachOctet(range) { e, k in
                    let weight = loadOctet(w + e, k)
                    let velocity = momentum * loadOctet(v + e, k) + loadOctet(g + e, k) + weightDecay * weight
                    storeOctet(velocity, v + e, k)
                    storeOctet(weight - lr * velocity, w + e, k)
                }
            case let .adam(beta1, beta2, epsilon, weightDecay):
                let m = s[0].data, v = s[1].data
                let alpha = Float(Double(lr) * (1 - pow(Double(beta2), t)).squareRoot() / (1 - pow(Double(beta1), t)))
                forEachOctet(range) { e, k in
                    let grad = loadOctet(g + e, k), weight = loadOctet(w + e, k)
                    let first = beta1 * loadOctet(m + e, k) + (1 - beta1) * grad
                    let second = beta2 * loadOctet(v + e, k) + (1 - beta2) * grad * grad
                    storeOctet(first, m + e, k)
                    storeOctet(second, v + e, k)
                    let decayed = weight - lr * weightDecay * weight
                    storeOctet(decayed - alpha * first / (second.squareRoot() + epsilon), w + e, k)
                }
            }
        }
    }

    /// Sets every parameter's gradient to zero (layers add into them during backward).
    public func zeroGradients() {
        for p in parameters { p.grad.fill(0) }
    }

    /// The optimizer's state as named tensors (copies), for checkpoints.
    public func state() -> [String: Tensor] {
        precondition(stepCount <= 1 << 24, "step count \(stepCount) no longer fits a float32 exactly")
        var out = ["optimizer.step": Tensor(shape: [1], values: [Float(stepCount)]),
                   "optimizer.learning_rate": Tensor(shape: [1], values: [learningRate])]
        for (i, p) in parameters.enumerated() {
            guard let s = slots[i] else { continue }
            for (slot, name) in zip(s, rule.slotNames) { out["optimizer.\(p.name).\(name)"] = slot.clone() }
        }
        return out
    }

    /// Restores state saved by `state()`: afterwards, steps continue exactly as the saving run's.
    /// Throws if a tensor names no parameter of this optimizer, has the wrong shape, or is missing.
    public func restore(_ state: [String: Tensor]) throws {
        let scalars = ["optimizer.step", "optimizer.learning_rate"]
        for key in scalars {
            guard let t = state[key] else { throw OptimizerStateError.missing(key) }
            guard t.shape == [1] else { throw OptimizerStateError.shapeMismatch(name: key, expected: [1], found: t.shape) }
        }
        let index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1.name, $0) })
        var named: [Int: [String: Tensor]] = [:]
        for (key, tensor) in state where !scalars.contains(key) {
            // optimizer.<parameter name, may contain dots>.<slot>
            let path = key.hasPrefix("optimizer.") ? key.dropFirst("optimizer.".count) : ""
            guard let dot = path.lastIndex(of: "."), let i = index[String(path[..<dot])],
                  case let slot = String(path[path.index(after: dot)...]), rule.slotNames.contains(slot) else {
                throw OptimizerStateError.unknownTensor(key)
            }
            let shape = parameters[i].value.shape
            guard tensor.shape == shape else {
                throw OptimizerStateError.shapeMismatch(name: key, expected: shape, found: tensor.shape)
            }
            named[i, default: [:]][slot] = tensor.clone()
        }
        var restored: [[Tensor]?] = Array(repeating: nil, count: parameters.count)
        for (i, slots) in named {
            restored[i] = try rule.slotNames.map { slot in
                guard let t = slots[slot] else { throw OptimizerStateError.missing("optimizer.\(parameters[i].name).\(slot)") }
                return t
            }
        }
        slots = restored
        stepCount = Int(state["optimizer.step"]!.data[0])
        learningRate = state["optimizer.learning_rate"]!.data[0]
    }

    /// Elements per parallel job: jobs are fixed by parameter sizes, never by the thread count.
    private static let chunk = 1 << 15
}
