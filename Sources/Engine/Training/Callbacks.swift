// The study's Keras callbacks as small state machines over per-epoch metric values:
// ReduceLROnPlateau, EarlyStopping and best-model selection. The trainer feeds them and acts.

/// Whether a monitored metric improves by going down (loss) or up (accuracy).
public enum MetricMode: String, Equatable, Sendable, Codable {
    case min, max

    /// Keras's `auto`: `max` for accuracy-like names, else `min`.
    public static func inferred(for metric: String) -> MetricMode {
        metric.contains("acc") ? .max : .min
    }
}

/// The best value seen of one metric, and whether a new value beats it by more than `minDelta`.
public struct MetricMonitor: Equatable, Sendable, Codable {
    /// Metric name, e.g. `val_loss` or `val_accuracy`.
    public let metric: String
    public let mode: MetricMode
    public let minDelta: Double
    /// Best value so far; ±infinity before the first.
    public private(set) var best: Double

    public init(metric: String, mode: MetricMode? = nil, minDelta: Double = 0) {
        self.metric = metric
        self.mode = mode ?? .inferred(for: metric)
        self.minDelta = abs(minDelta)
        self.best = self.mode == .min ? .infinity : -.infinity
    }

    /// Keras: `current < best − minDelta` (min) or `current > best + minDelta` (max).
    public func isImprovement(_ value: Double) -> Bool {
        mode == .min ? value < best - minDelta : value > best + minDelta
    }

    /// Forgets the best so far and takes `value` as it: a tie-breaker starts over at each new best.
    mutating func restart(at value: Double) {
        best = value
    }

    /// Records `value` if it improves on the best; returns whether it did.
    public mutating func observe(_ value: Double) -> Bool {
        guard isImprovement(value) else { return false }
        best = value
        return true
    }
}

/// Keras `ReduceLROnPlateau`: after `patience` epochs without improvement, multiply the learning rate
/// by `factor` (not below `minLearningRate`), then wait `cooldown` epochs before counting again.
public struct ReduceLROnPlateau: Equatable, Sendable, Codable {
    public private(set) var monitor: MetricMonitor
    public let factor: Double
    public let patience: Int
    public let minLearningRate: Double
    public let cooldown: Int
    private var wait = 0
    private var cooldownLeft = 0

    /// Defaults are Keras's (min delta 1e-4); the study used factor 0.1, patience 3, min lr 1e-5.
    public init(monitor: MetricMonitor = MetricMonitor(metric: "val_loss", minDelta: 1e-4), factor: Double = 0.1,
                patience: Int = 10, minLearningRate: Double = 0, cooldown: Int = 0) {
        precondition(factor < 1, "ReduceLROnPlateau factor must be below 1, got \(factor)")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.minLearningRate = minLearningRate
        self.cooldown = cooldown
    }

    /// The learning rate to use from the next epoch, given this epoch's metric value and rate.
    public mutating func observe(_ value: Double, learningRate: Double) -> Double {
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            wait = 0
        }
        if monitor.observe(value) {
            wait = 0
            return learningRate
        }
        guard cooldownLeft == 0 else { return learningRate }
        wait += 1
        guard wait >= patience, learningRate > minLearningRate else { return learningRate }
        cooldownLeft = cooldown
        wait = 0
        return max(learningRate * factor, minLearningRate)
    }
}

/// Keras `EarlyStopping`: stop after `patience` epochs without improvement, optionally going back to
/// the weights of the best epoch.
public struct EarlyStopping: Equatable, Sendable, Codable {
    /// What the trainer should do after an epoch.
    public enum Decision: Equatable, Sendable {
        /// Keep training; the epoch was the best so far (snapshot the weights if restoring).
        case improved
        /// Keep training.
        case wait
        /// Stop; restore the best epoch's weights if `restoreBestWeights`.
        case stop
    }

    public private(set) var monitor: MetricMonitor
    public let patience: Int
    public let restoreBestWeights: Bool
    /// The epoch (0-based) whose value was best.
    public private(set) var bestEpoch: Int?
    private var wait = 0

    public init(monitor: MetricMonitor = MetricMonitor(metric: "val_loss"), patience: Int = 0,
                restoreBestWeights: Bool = false) {
        self.monitor = monitor
        self.patience = patience
        self.restoreBestWeights = restoreBestWeights
    }

    public mutating func observe(_ value: Double, epoch: Int) -> Decision {
        wait += 1
        if monitor.observe(value) {
            bestEpoch = epoch
            wait = 0
            return .improved
        }
        return wait >= patience && epoch > 0 ? .stop : .wait
    }
}

/// Keras `ModelCheckpoint(save_best_only=True)`: remembers which epoch was best on one metric. Keras
/// keeps the first of epochs that tie on it; with a `tieBreaker` a later epoch that ties (equal value,
/// or within `minDelta`) wins when the tie-breaker is strictly better, so a coarse metric such as the
/// accuracy on a few hundred images does not leave the choice to the order of the epochs.
public struct BestModelSelection: Equatable, Sendable, Codable {
    public private(set) var monitor: MetricMonitor
    /// The metric that decides between epochs tying on `monitor`, e.g. `val_loss` for `val_accuracy`.
    public private(set) var tieBreaker: MetricMonitor?
    /// The best epoch (0-based) so far.
    public private(set) var bestEpoch: Int?

    public init(monitor: MetricMonitor = MetricMonitor(metric: "val_loss"), tieBreaker: MetricMonitor? = nil) {
        self.monitor = monitor
        self.tieBreaker = tieBreaker
    }

    /// Whether `epoch` is the new best: then its weights should be kept. `tie` is the epoch's value of
    /// the tie-breaker's metric (ignored without a tie-breaker).
    public mutating func observe(_ value: Double, tie: Double? = nil, epoch: Int) -> Bool {
        if monitor.observe(value) {
            if let tie { tieBreaker?.restart(at: tie) }
            bestEpoch = epoch
            return true
        }
        let tied = abs(value - monitor.best) <= monitor.minDelta
        guard tied, let tie, var breaker = tieBreaker, breaker.observe(tie) else { return false }
        tieBreaker = breaker
        bestEpoch = epoch
        return true
    }
}
