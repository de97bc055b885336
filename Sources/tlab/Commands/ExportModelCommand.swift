// `tlab export-model RUN|STAGE FILE.onnx`: a trained model out of the store as an ONNX file that ONNX
// Runtime (and any runtime reading ONNX) runs.
import ArgumentParser
import Foundation
import Pipeline

struct ExportModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-model",
        abstract: "Write a trained model (backbone and head, inference mode) as an ONNX file.",
        discussion: """
            <run|stage> is a fine-tune stage (its latest finished run: finetune@basic), an export stage (its \
            stored file, byte for byte), or a run number whose run has exactly one fine-tune stage \
            ('tlab runs' lists runs). The file's input 'input' is a float batch [N, C, H, W] of images \
            normalised as tlab feeds them; its outputs are 'logits' [N, classes] and 'probabilities' \
            (their softmax). Its metadata_props say how to prepare an image: input_shape, input_size \
            (what the backbone sees after the resize inside the model), normalization_scale, \
            normalization_mean, normalization_std, and class_names (JSON) in the order of the outputs. \
            Opset 18; BatchNorm kept as BatchNormalization nodes. FILE is replaced atomically.

            EXAMPLES:
              tlab export-model finetune@basic basic.onnx
              tlab export-model 4 model.onnx
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("A fine-tune or export stage, or a run number.", valueName: "run|stage"))
    var target: String

    @Argument(help: ArgumentHelp("The .onnx file to write (replaced if it exists).", valueName: "file.onnx"),
              completion: .file(extensions: ["onnx"]))
    var file: String

    func validate() throws {
        guard URL(fileURLWithPath: file).pathExtension.lowercased() == "onnx" else {
            throw ValidationError("the file to write must end in .onnx, not '\(file)'")
        }
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let export = try StoredModelExport(target, in: store)
        let url = URL(fileURLWithPath: file)
        try Data(export.bytes).write(to: url, options: .atomic)
        print("\(DisplayFormat.path(url)): model of stage \(export.stage), run \(export.runID), \(export.bytes.count) bytes")
    }
}
