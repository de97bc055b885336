// The key set and shapes of torchvision's `densenet121().state_dict()`, written out the way
// torchvision's module tree produces them, independently of the engine's own description.
@testable import Engine

enum TorchvisionDenseNet121 {
    static func keys(includeBatchCounters: Bool = true) -> [(name: String, shape: [Int])] {
        func norm(_ prefix: String, _ c: Int) -> [(name: String, shape: [Int])] {
            ["weight", "bias", "running_mean", "running_var"].map { ("\(prefix).\($0)", [c]) }
                + (includeBatchCounters ? [("\(prefix).num_batches_tracked", [])] : [])
        }
        var keys: [(name: String, shape: [Int])] = [("features.conv0.weight", [64, 3, 7, 7])] + norm("features.norm0", 64)
        var c = 64
        for (b, layers) in [6, 12, 24, 16].enumerated() {
            for l in 1...layers {
                let p = "features.denseblock\(b + 1).denselayer\(l)"
                keys += norm("\(p).norm1", c) + [("\(p).conv1.weight", [128, c, 1, 1])]
                keys += norm("\(p).norm2", 128) + [("\(p).conv2.weight", [32, 128, 3, 3])]
                c += 32
            }
            if b < 3 {
                keys += norm("features.transition\(b + 1).norm", c) + [("features.transition\(b + 1).conv.weight", [c / 2, c, 1, 1])]
                c /= 2
            }
        }
        return keys + norm("features.norm5", c) + [("classifier.weight", [1000, 1024]), ("classifier.bias", [1000])]
    }

    /// A state dict with those keys, filled with small seeded values.
    static func stateDict() -> [String: Tensor] {
        let random = CounterRandom(seed: 7)
        var dict: [String: Tensor] = [:]
        for (i, key) in keys().enumerated() {
            let t = Tensor(zeros: key.shape)
            let r = random.stream(UInt64(i))
            for j in 0..<t.count { t.data[j] = r.uniform(at: UInt64(j)) * 0.1 }
            dict[key.name] = t
        }
        return dict
    }
}
