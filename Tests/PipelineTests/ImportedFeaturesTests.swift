// The study's frozen features from imported weights: a torchvision DenseNet-121 state dict, saved as
// PyTorch saves one (int64 `num_batches_tracked` counters, an ImageNet classifier), imported the way
// the pretrain stage imports it, gives at 155x155 the features an independent float64 reference of
// torchvision's DenseNet-121 computes from the same file.
import Engine
import Foundation
import Store
import XCTest
@testable import Pipeline

final class ImportedFeaturesTests: XCTestCase {
    func testImportedDenseNet121FeaturesAt155MatchAFloat64Reference() throws {
        let weights = TorchvisionStateDict.denseNet121(seed: 11)
        let recipe = try JSONDecoder().decode(ModelRecipe.self, from: Data("""
            {"family": "densenet-121", "depth": 121, "growth": 32, "blocks": 4, "compression": 0.5, "stem": "imagenet",
             "inputShape": [3, 155, 155], "inputSize": 0, "head": "none", "pooling": "avg", "classes": 0, "freezing": "none"}
            """.utf8))
        let model = try PretrainStage.importedModel(recipe, stateDict: weights.safetensors())

        let random = CounterRandom(seed: 12)
        let image = Tensor(zeros: [1, 3, 155, 155])
        for i in 0..<image.count { image.data[i] = random.uniform(at: UInt64(i)) * 2 - 1 }
        let features = model.features(for: image)
        XCTAssertEqual(features.shape, [1, 1024, 4, 4])

        let reference = ReferenceDenseNet121(weights).features(Plane(channels: 3, height: 155, width: 155,
                                                                       values: image.array.map(Double.init)))
        XCTAssertEqual([reference.channels, reference.height, reference.width], [1024, 4, 4])
        let scale = reference.values.map(abs).max()!
        let worst = zip(features.array, reference.values).map { abs(Double($0) - $1) }.max()!
        XCTAssertGreaterThan(scale, 0.1, "the reference features are not all near zero")
        // float32 through 121 layers gives about 5e-7 of the largest feature; a mis-mapped tensor gives O(1).
        XCTAssertLessThan(worst / scale, 1e-4, "largest difference \(worst) against features up to \(scale)")
    }
}

/// Named float64 tensors in torchvision's DenseNet-121 layout, with the file PyTorch would save.
struct TorchvisionStateDict {
    var tensors: [String: (shape: [Int], values: [Double])] = [:]

    /// Every backbone tensor torchvision's `densenet121()` has, drawn from `seed`: convolutions He-normal
    /// (fan-in), BatchNorm γ in [0.8, 1.2], β and running means in [-0.1, 0.1], running variances in
    /// [0.8, 1.2], so activations stay in range through 121 layers without training.
    static func denseNet121(seed: UInt64) -> TorchvisionStateDict {
        var dict = TorchvisionStateDict()
        let description = try! ModelDescription(ModelConfig(inputShape: [3, 224, 224], backbone: .densenet121))
        for (index, tensor) in description.tensors.enumerated() {
            let random = CounterRandom(seed: seed, stream: UInt64(index))
            let u = { (i: Int) in Double(random.uniform(at: UInt64(i))) }
            let count = tensor.count
            let values: [Double]
            switch tensor.name.split(separator: ".").last! {
            case "weight" where tensor.shape.count == 4:
                let std = (2 / Double(tensor.shape[1] * tensor.shape[2] * tensor.shape[3])).squareRoot()
                values = (0..<count).map { Double(random.normal(at: UInt64($0))) * std }
            case "weight", "running_var": values = (0..<count).map { 0.8 + 0.4 * u($0) }
            default: values = (0..<count).map { 0.2 * u($0) - 0.1 }
            }
            dict.tensors[tensor.name] = (tensor.shape, values)
        }
        return dict
    }

    subscript(name: String) -> [Double] { tensors[name]!.values }

    /// The safetensors file of `model.state_dict()`: float32 tensors, an int64 `num_batches_tracked`
    /// per BatchNorm, and a 1000-class classifier.
    func safetensors() throws -> Data {
        var named = tensors.map { name, tensor in
            NamedTensor(name: name, dtype: .f32, shape: tensor.shape,
                        data: tensor.values.map { Float($0).bitPattern.littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) })
        }
        for name in tensors.keys where name.hasSuffix(".running_mean") {
            named.append(NamedTensor(name: name.replacingOccurrences(of: ".running_mean", with: ".num_batches_tracked"),
                                     dtype: .i64, shape: [], data: withUnsafeBytes(of: Int64(5000).littleEndian) { Data($0) }))
        }
        named.append(NamedTensor(name: "classifier.weight", dtype: .f32, shape: [1000, 1024], data: Data(count: 4_096_000)))
        named.append(NamedTensor(name: "classifier.bias", dtype: .f32, shape: [1000], data: Data(count: 4000)))
        return try SafeTensors.encode(TensorArchive(tensors: named.sorted { $0.name < $1.name }))
    }
}

/// One image's feature map in float64, [C, H, W].
struct Plane {
    var channels: Int, height: Int, width: Int
    var values: [Double]

    subscript(c: Int, y: Int, x: Int) -> Double { values[(c * height + y) * width + x] }
}

/// torchvision's DenseNet-121 `features` followed by ReLU, written as plain loops in float64 from its
/// definition (BatchNorm in inference mode with ε 1e-5), sharing no code with the engine's kernels.
struct ReferenceDenseNet121 {
    let weights: TorchvisionStateDict

    init(_ weights: TorchvisionStateDict) { self.weights = weights }

    func features(_ image: Plane) -> Plane {
        var x = conv(image, "features.conv0", stride: 2, padding: 3)
        x = maxPool3x3s2p1(relu(batchNorm(x, "features.norm0")))
        for (b, layers) in [6, 12, 24, 16].enumerated() {
            for l in 1...layers {
                let name = "features.denseblock\(b + 1).denselayer\(l)"
                let bottleneck = conv(relu(batchNorm(x, "\(name).norm1")), "\(name).conv1", stride: 1, padding: 0)
                let new = conv(relu(batchNorm(bottleneck, "\(name).norm2")), "\(name).conv2", stride: 1, padding: 1)
                x = Plane(channels: x.channels + new.channels, height: x.height, width: x.width, values: x.values + new.values)
            }
            if b < 3 {
                let name = "features.transition\(b + 1)"
                x = averagePool2x2(conv(relu(batchNorm(x, "\(name).norm")), "\(name).conv", stride: 1, padding: 0))
            }
        }
        return relu(batchNorm(x, "features.norm5"))
    }

    private func conv(_ x: Plane, _ name: String, stride: Int, padding: Int) -> Plane {
        let shape = weights.tensors["\(name).weight"]!.shape, w = weights["\(name).weight"]
        let (outChannels, k) = (shape[0], shape[2])
        let height = (x.height + 2 * padding - k) / stride + 1, width = (x.width + 2 * padding - k) / stride + 1
        var y = Plane(channels: outChannels, height: height, width: width, values: .init(repeating: 0, count: outChannels * height * width))
        for co in 0..<outChannels {
            for ci in 0..<x.channels {
                for ky in 0..<k {
                    for kx in 0..<k {
                        let weight = w[((co * x.channels + ci) * k + ky) * k + kx]
                        for oy in 0..<height {
                            let iy = oy * stride - padding + ky
                            guard iy >= 0 && iy < x.height else { continue }
                            for ox in 0..<width {
                                let ix = ox * stride - padding + kx
                                guard ix >= 0 && ix < x.width else { continue }
                                y.values[(co * height + oy) * width + ox] += weight * x[ci, iy, ix]
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    private func batchNorm(_ x: Plane, _ name: String) -> Plane {
        let (gamma, beta) = (weights["\(name).weight"], weights["\(name).bias"])
        let (mean, variance) = (weights["\(name).running_mean"], weights["\(name).running_var"])
        var y = x
        let plane = x.height * x.width
        for c in 0..<x.channels {
            let scale = gamma[c] / (variance[c] + 1e-5).squareRoot()
            for i in 0..<plane { y.values[c * plane + i] = (x.values[c * plane + i] - mean[c]) * scale + beta[c] }
        }
        return y
    }

    private func relu(_ x: Plane) -> Plane {
        Plane(channels: x.channels, height: x.height, width: x.width, values: x.values.map { max($0, 0) })
    }

    /// `MaxPool2d(3, stride 2, padding 1)`: padded positions never win.
    private func maxPool3x3s2p1(_ x: Plane) -> Plane {
        let height = (x.height + 2 - 3) / 2 + 1, width = (x.width + 2 - 3) / 2 + 1
        var values: [Double] = []
        for c in 0..<x.channels {
            for oy in 0..<height {
                for ox in 0..<width {
                    var best = -Double.infinity
                    for iy in (oy * 2 - 1)...(oy * 2 + 1) where iy >= 0 && iy < x.height {
                        for ix in (ox * 2 - 1)...(ox * 2 + 1) where ix >= 0 && ix < x.width { best = max(best, x[c, iy, ix]) }
                    }
                    values.append(best)
                }
            }
        }
        return Plane(channels: x.channels, height: height, width: width, values: values)
    }

    /// `AvgPool2d(2, stride 2)`: an odd last row or column is dropped.
    private func averagePool2x2(_ x: Plane) -> Plane {
        let height = x.height / 2, width = x.width / 2
        var values: [Double] = []
        for c in 0..<x.channels {
            for oy in 0..<height {
                for ox in 0..<width {
                    values.append((x[c, 2 * oy, 2 * ox] + x[c, 2 * oy, 2 * ox + 1] + x[c, 2 * oy + 1, 2 * ox]
                                   + x[c, 2 * oy + 1, 2 * ox + 1]) / 4)
                }
            }
        }
        return Plane(channels: x.channels, height: height, width: width, values: values)
    }
}
