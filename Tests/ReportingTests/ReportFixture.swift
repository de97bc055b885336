// A fixed, realistic report for the rendering tests: the four variants of the Fashion-MNIST transfer
// pipeline (target task = classes 5–9), with curves and confusion counts shaped like real runs.
import Foundation
@testable import Reporting

enum ReportFixture {
    static let classes = ["sandal", "shirt", "sneaker", "bag", "ankle boot"]

    /// Where each class's mistakes go: the shoes confuse each other, shirts and bags each other.
    private static let confusedWith: [[Double]] = [
        [0, 0.05, 0.60, 0.05, 0.30],
        [0.05, 0, 0.10, 0.75, 0.10],
        [0.50, 0, 0, 0.05, 0.45],
        [0.20, 0.60, 0.10, 0, 0.10],
        [0.30, 0, 0.60, 0.10, 0],
    ]

    static func report(studyFigures: [String: StudyFigure] = StudyFigure.denseNetCIFAR10) -> ComparisonReport {
        ComparisonReport(variants: variants, provenance: provenance, dagMermaid: dag, studyFigures: studyFigures)
    }

    /// Three seeds each, frozen (the cheap one) five; each seed moves every class's recall by its
    /// offset, so variants differ by more than their seeds in some pairs and by less in others.
    static let variants: [VariantResult] = [
        variant("scratch", .random, .none, head: "linear", trainable: 79_850, total: 79_850, epochs: 15,
                recalls: [0.912, 0.798, 0.884, 0.905, 0.934], offsets: [0.010, -0.015, 0.004], loss: 0.3391, seconds: 168.4,
                curve: (start: 0.52, end: 0.885, pace: 4.0), lr: 1e-3, imagesPerSecond: 2150),
        variant("basic", .pretrained, .none, head: "linear", trainable: 79_850, total: 79_850, epochs: 10,
                recalls: [0.951, 0.862, 0.921, 0.938, 0.946], offsets: [0.003, -0.004, 0.006], loss: 0.2215, seconds: 112.7,
                curve: (start: 0.81, end: 0.922, pace: 2.0), lr: 1e-3, imagesPerSecond: 2150),
        variant("optimized", .pretrained, .none,
                head: "max pool, BN, Dense(256, relu), Dense(128, relu), BN, Dropout(0.2), Dense(5)",
                trainable: 148_421, total: 148_933, epochs: 10,
                recalls: [0.962, 0.889, 0.935, 0.955, 0.968], offsets: [-0.006, 0.008, -0.001], loss: 0.1702, seconds: 121.9,
                curve: (start: 0.84, end: 0.941, pace: 1.8), lr: 1e-3, imagesPerSecond: 2080),
        variant("frozen", .pretrained, .backbone,
                head: "flatten, BN, Dense(256, relu), Dropout(0.2), Dense(128, relu), BN, Dropout(0.2), BN, Dense(5)",
                trainable: 70_277, total: 147_009, epochs: 20,
                recalls: [0.937, 0.841, 0.903, 0.919, 0.951], offsets: [0.002, -0.009, 0.011, 0.000, -0.003], loss: 0.2581,
                seconds: 6.3, curve: (start: 0.86, end: 0.909, pace: 3.0), lr: 3e-4, imagesPerSecond: 2210),
    ]

    static let provenance = Provenance(
        pipelineName: "fashion-transfer",
        pipelineFileHash: "9f2c4e1ab0d37c55e8a1f6b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6",
        stages: [
            StageProvenance(name: "download", kind: "download", keyPrefix: "3a7bd3e2", cache: .hit, seconds: 0.004),
            StageProvenance(name: "preprocess", kind: "preprocess", keyPrefix: "c0ffee11", cache: .hit, seconds: 0.012),
            StageProvenance(name: "pretrain", kind: "pretrain", keyPrefix: "51d2a0b9", cache: .hit, seconds: 0.006),
            StageProvenance(name: "freeze", kind: "freeze", keyPrefix: "e4f18c02", cache: .computed, seconds: 21.7),
            StageProvenance(name: "finetune@scratch#1", kind: "fine-tune", keyPrefix: "0b9c7d31", cache: .computed,
                            seconds: 168.4),
            StageProvenance(name: "finetune@scratch#2", kind: "fine-tune", keyPrefix: "1c8d6e42", cache: .computed,
                            seconds: 173.5),
            StageProvenance(name: "finetune@scratch#3", kind: "fine-tune", keyPrefix: "2d7e5f53", cache: .hit,
                            seconds: 0.01),
            StageProvenance(name: "evaluate@scratch#1", kind: "evaluate", keyPrefix: "77ac20e5", cache: .computed,
                            seconds: 2.4),
            StageProvenance(name: "report", kind: "report", keyPrefix: "a1b2c3d4", cache: .computed, seconds: 0.08),
        ],
        toolVersion: "0.1.0", engineVersion: "0.1.0", seed: 42,
        machine: Machine(cores: 2, cpuModel: "AMD EPYC 7B13", operatingSystem: "Debian GNU/Linux 13 (trixie)"),
        runDate: Date(timeIntervalSince1970: 1_795_953_600),
        dependencies: [DependencyVersion(name: "GRDB.swift", version: "7.10.0"),
                       DependencyVersion(name: "swift-argument-parser", version: "1.8.2"),
                       DependencyVersion(name: "Yams", version: "6.2.2")])

    static let dag = """
        flowchart TD
          download --> preprocess
          preprocess --> pretrain
          pretrain --> freeze
          freeze --> finetune_frozen[fine-tune/frozen] --> evaluate_frozen[evaluate/frozen]
          evaluate_frozen --> report

        """

    /// A variant whose seeds' accuracies are what their confusion counts say and whose selected epochs
    /// have the highest validation accuracy, with validation curves that rise from `start` towards
    /// `end` at `pace` epochs per e-fold, wobbling a little as real curves do; seed k moves recalls,
    /// curves and loss by `offsets[k]`, takes a little longer each, and its last epoch tests 0.4 points
    /// below its selected one.
    private static func variant(_ name: String, _ initialization: Initialization, _ frozen: FrozenPart,
                                head: String, trainable: Int, total: Int, epochs: Int,
                                recalls: [Double], offsets: [Double], loss: Double, seconds: Double,
                                curve: (start: Double, end: Double, pace: Double), lr: Double,
                                imagesPerSecond: Double) -> VariantResult {
        let runs = offsets.enumerated().map { k, offset -> SeedResult in
            let confusion = confusionMatrix(recalls: recalls.map { $0 + offset }, perClass: 1000)
            let correct = confusion.counts.indices.reduce(0) { $0 + confusion.counts[$1][$1] }
            let curves = (1...epochs).map { epoch -> EpochRecord in
                let progress = 1 - exp(-Double(epoch - 1) / curve.pace)
                let wobble = 0.004 * sin(Double(epoch + 3 * k) * 1.7)
                let validation = curve.start + (curve.end - curve.start) * progress + wobble + offset
                let train = min(0.995, validation + 0.01 * Double(epoch) / Double(epochs) + 0.005)
                return EpochRecord(epoch: epoch, trainAccuracy: train, trainLoss: 2.2 * (1 - train) + 0.02,
                                   validationAccuracy: validation, validationLoss: 2.6 * (1 - validation) + 0.04,
                                   learningRate: epoch > epochs * 2 / 3 && k != 1 ? lr / 10 : lr)
            }
            let selected = curves.max { $0.validationAccuracy < $1.validationAccuracy }!.epoch
            let accuracy = Double(correct) / Double(5 * 1000)
            return SeedResult(seed: k + 1, epochsRun: epochs, selectedEpoch: selected, selectedOn: .validation,
                              testAccuracy: accuracy, testLoss: loss - offset, lastEpochTestAccuracy: accuracy - 0.004,
                              lastEpochTestLoss: loss - offset + 0.01, trainingSeconds: seconds * (1 + 0.03 * Double(k)),
                              curves: curves, confusion: confusion,
                              inferenceImagesPerSecond: imagesPerSecond - 10 * Double(k))
        }
        return VariantResult(name: name, initialization: initialization, frozenPart: frozen, head: head,
                             trainableParameters: trainable, totalParameters: total, runs: runs)
    }

    private static func confusionMatrix(recalls: [Double], perClass: Int) -> ConfusionMatrix {
        let counts = recalls.indices.map { t -> [Int] in
            let correct = Int((recalls[t] * Double(perClass)).rounded())
            var row = confusedWith[t].map { Int((Double(perClass - correct) * $0).rounded(.down)) }
            row[t] = correct
            // Rounding down loses a few images; give them to the most confused class so rows add up.
            let mostConfused = confusedWith[t].indices.max { confusedWith[t][$0] < confusedWith[t][$1] }!
            row[mostConfused] += perClass - row.reduce(0, +)
            return row
        }
        return ConfusionMatrix(classNames: classes, counts: counts)
    }
}
