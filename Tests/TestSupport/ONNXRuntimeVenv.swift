// ONNX's own checker and ONNX Runtime, from a Python venv outside the repository (scripts/setup makes
// it at ~/.venvs/onnx; TLAB_ONNX_VENV points elsewhere), run on a model file the test wrote.
import Foundation

/// What ONNX Runtime computed for one model and input, after `onnx.checker.check_model` passed.
public struct ONNXRuntimeResult {
    /// Output name → values (row-major) and shape.
    public let outputs: [String: (values: [Float], shape: [Int])]
    /// The graph's input names and its outputs' names, in the graph's order.
    public let inputNames: [String]
    public let outputNames: [String]
    /// The model's metadata_props.
    public let metadata: [String: String]
}

public enum ONNXRuntimeVenv {
    /// The venv's folder: TLAB_ONNX_VENV, or ~/.venvs/onnx.
    public static var folder: URL {
        if let path = ProcessInfo.processInfo.environment["TLAB_ONNX_VENV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".venvs/onnx")
    }

    /// The venv's Python, or the skip (a failure under TLAB_REQUIRE_SERVICES=1) saying it is missing.
    public static func python() throws -> URL {
        let python = folder.appendingPathComponent("bin/python")
        let probe = Process()
        probe.executableURL = python
        probe.arguments = ["-c", "import onnx, onnxruntime, numpy"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: python.path), (try? probe.run()) != nil else {
            throw missingService("no Python venv with onnx and onnxruntime at \(folder.path) (scripts/setup makes it; TLAB_ONNX_VENV overrides the path)")
        }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            throw missingService("\(python.path) cannot import onnx, onnxruntime and numpy (scripts/setup installs them)")
        }
        return python
    }

    /// Checks `model` with `onnx.checker.check_model(full_check=True)` (which also infers every
    /// shape), then runs it in ONNX Runtime (CPU, one thread, all graph optimisations) on `input`
    /// of `shape` fed to the input called `inputName`.
    public static func run(model: URL, input: [Float], shape: [Int], inputName: String = "input") throws -> ONNXRuntimeResult {
        let python = try python()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tlab-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputFile = folder.appendingPathComponent("input.f32")
        try input.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: inputFile)
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, model.path, inputFile.path, shape.map(String.init).joined(separator: ","),
                             inputName, folder.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ONNXRuntimeFailure(message: String(decoding: stderr, as: UTF8.self))
        }
        struct Report: Decodable {
            let inputs: [String]
            let outputs: [String]
            let shapes: [[Int]]
            let metadata: [String: String]
        }
        let report = try JSONDecoder().decode(Report.self, from: stdout)
        var outputs: [String: (values: [Float], shape: [Int])] = [:]
        for (name, shape) in zip(report.outputs, report.shapes) {
            let data = try Data(contentsOf: folder.appendingPathComponent("output-\(outputs.count).f32"))
            outputs[name] = (data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, shape)
        }
        return ONNXRuntimeResult(outputs: outputs, inputNames: report.inputs, outputNames: report.outputs,
                                 metadata: report.metadata)
    }

    private static let script = """
        import json, sys
        import numpy as np, onnx, onnxruntime as ort
        model, input_file, shape, input_name, folder = sys.argv[1:6]
        onnx.checker.check_model(onnx.load(model), full_check=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        x = np.fromfile(input_file, dtype="<f4").reshape([int(d) for d in shape.split(",")])
        results = session.run(None, {input_name: x})
        for i, value in enumerate(results):
            np.ascontiguousarray(value, dtype="<f4").tofile(f"{folder}/output-{i}.f32")
        print(json.dumps({
            "inputs": [i.name for i in session.get_inputs()],
            "outputs": [o.name for o in session.get_outputs()],
            "shapes": [list(r.shape) for r in results],
            "metadata": session.get_modelmeta().custom_metadata_map,
        }))
        """
}

/// The checker rejected the model or ONNX Runtime failed on it; `message` is Python's traceback.
public struct ONNXRuntimeFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "onnx/onnxruntime failed: \(message)" }
}
