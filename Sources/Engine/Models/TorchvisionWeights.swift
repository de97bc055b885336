// Pretrained DenseNet weights in torchvision/timm naming (`features.denseblock1.denselayer1.norm1.weight`,
// …, `classifier.weight`) mapped onto this engine's names, which follow torchvision for the backbone.

/// Import of torchvision and timm DenseNet state dicts (as read from their safetensors files).
public enum TorchvisionWeights {
    /// The engine tensors `weights` provides for `model`, keyed by engine name, shapes checked.
    ///
    /// Every backbone parameter and buffer must be present. `classifier.*` fills a `linear` head's dense
    /// layer when its shape fits (1000 ImageNet classes) and is otherwise skipped, as Keras does for
    /// `include_top=False`; the head then keeps its fresh initialisation. Keys `isIgnored` names are
    /// skipped and legacy keys (`denselayer1.norm.1.weight`) are renamed as torchvision does. Layouts
    /// agree (convolutions OIHW, dense [out, in]), so tensors are used as they are.
    public static func convert(_ weights: [String: Tensor], for model: ModelDescription) throws -> [String: Tensor] {
        let expected = Dictionary(uniqueKeysWithValues: model.tensors.map { ($0.name, $0) })
        let classifier = linearClassifierName(model)
        var converted: [String: Tensor] = [:]
        for (key, tensor) in weights {
            if isIgnored(key) { continue }
            let name: String
            if key.hasPrefix("classifier.") {
                guard let classifier, let t = expected[classifier + key.dropFirst("classifier".count)],
                      t.shape == tensor.shape else { continue }
                name = t.name
            } else {
                name = modernKey(key)
            }
            guard let target = expected[name], name.hasPrefix("features.") || key.hasPrefix("classifier.") else {
                throw ModelError.unexpectedWeight(key: key)
            }
            guard target.shape == tensor.shape else {
                throw ModelError.weightShapeMismatch(key: key, expected: target.shape, found: tensor.shape)
            }
            converted[name] = tensor
        }
        for t in model.tensors where t.name.hasPrefix("features.") && converted[t.name] == nil {
            throw ModelError.missingWeight(key: t.name)
        }
        return converted
    }

    /// Whether a state-dict key carries nothing the engine uses, whatever its dtype: BatchNorm's
    /// `num_batches_tracked` counters, which PyTorch saves as int64 scalars in every `state_dict()`.
    public static func isIgnored(_ key: String) -> Bool {
        key.hasSuffix(".num_batches_tracked")
    }

    /// The torchvision key for each backbone tensor of `model` (and `classifier.*` for a linear head),
    /// for writing weights PyTorch loads with `load_state_dict`.
    public static func torchvisionKey(for name: String, in model: ModelDescription) -> String? {
        if name.hasPrefix("features.") { return name }
        if let classifier = linearClassifierName(model), name.hasPrefix(classifier + ".") {
            return "classifier" + name.dropFirst(classifier.count)
        }
        return nil
    }

    /// The dense layer standing in for torchvision's `classifier`: a head of one pooling and one dense.
    private static func linearClassifierName(_ model: ModelDescription) -> String? {
        let head = model.layers.filter { $0.part == .head }
        guard head.count == 2, head[0].type == "GlobalAvgPool", head[1].name.hasPrefix("head.dense") else { return nil }
        return head[1].name
    }

    /// `…denselayer3.norm.1.weight` → `…denselayer3.norm1.weight` (the original LuaTorch-ported files).
    static func modernKey(_ key: String) -> String {
        var parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        while i + 2 < parts.count {
            if parts[i].hasPrefix("denselayer"), ["norm", "relu", "conv"].contains(parts[i + 1]),
               ["1", "2"].contains(parts[i + 2]) {
                parts[i + 1] += parts[i + 2]
                parts.remove(at: i + 2)
            }
            i += 1
        }
        return parts.joined(separator: ".")
    }
}
