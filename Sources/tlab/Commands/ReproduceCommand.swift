// `tlab reproduce REPORT|RUN`: compute everything in a report's or run's lineage again in a scratch
// store, compare each stage's outputs with the recorded ones, and print a reproduction certificate.
import ArgumentParser
import Foundation
import Pipeline
import Store

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Compute a report's or run's lineage again and certify that it reproduces.",
        discussion: """
            TARGET is a run id ('tlab runs' lists them), a file a run wrote (a report: the stages it was \
            computed from), a stage name (its latest outputs' lineage) or an artifact hash prefix. Every \
            stage in it is computed again from its recorded key material, in an empty scratch store (the \
            store itself is only read), and each output is compared byte for byte with the recorded one. \
            The certificate says per stage whether it came out bit-identical, and where not, which output, \
            which tensor and the largest absolute difference; it names the engine version and machine that \
            recorded the results and those that reproduced them. A report's measured times (training \
            seconds, images per second) and its run's provenance differ between identical runs and are \
            not compared.

            For a report file the certificate is also written as reproduction.md beside it, so readers of \
            the report see that its figures were reproduced and where; --markdown chooses another file. \
            It takes as long as the original computation.

            EXAMPLES:
              tlab reproduce reports/fashion-transfer/report.md
              tlab reproduce 3 --markdown certificate.md
              tlab reproduce reports/smoke/report.md --jobs 2 --quiet

            EXIT STATUS: 0 when every stage reproduced, 1 when one differed or could not be computed.
            """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("A run id, a report file, a stage name or an artifact hash prefix.", valueName: "target"),
              completion: .file())
    var target: String

    @Option(help: ArgumentHelp("Write the certificate as Markdown to this file.", valueName: "file"), completion: .file())
    var markdown: String?

    @Option(help: ArgumentHelp("Compute in this folder and keep it (default: a temporary folder, removed afterwards).",
                               valueName: "dir"), completion: .directory)
    var scratch: String?

    @Option(help: "Stages that may compute at once (independent variants).")
    var jobs = 1

    @Flag(help: "Print only the certificate.")
    var quiet = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let scope: ReproductionScope
        if let id = Int64(target) {
            guard try store.lineage.run(id: id) != nil else {
                throw CommandError.unknownRun(id: id, newest: try store.lineage.runs(limit: 1).first?.id)
            }
            scope = .run(id)
        } else {
            scope = .artifacts(try LineageTarget.resolve(target, in: store).roots)
        }
        let folder = scratch.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("tlab-reproduce-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        if let scratch, let contents = try? FileManager.default.contentsOfDirectory(atPath: scratch), !contents.isEmpty {
            throw ValidationError("--scratch \(scratch) is not empty; reproduction needs an empty store")
        }
        defer { if scratch == nil { Self.remove(folder) } }
        let printer = RunEventPrinter(quiet: quiet, printsEpochs: true)
        let options = ExecutorOptions(jobs: jobs, quiet: quiet, toolVersion: TLab.toolVersion, exitOnInterrupt: true)
        let certificate = try Reproduction.run(scope, of: store, scratch: folder, options: options) { printer.handle($0) }
        print(certificate.text, terminator: "")
        if let file = markdownFile {
            try Data(certificate.markdown.utf8).write(to: file, options: .atomic)
            print("certificate: \(DisplayFormat.path(file))")
        }
        guard certificate.reproduced else { throw CommandError.notReproduced(stages: certificate.stages.filter { !$0.reproduced }.count) }
    }

    /// `--markdown`, else `reproduction.md` beside a report file given as the target.
    private var markdownFile: URL? {
        if let markdown { return URL(fileURLWithPath: markdown) }
        guard target.hasSuffix(".md"), FileManager.default.fileExists(atPath: target) else { return nil }
        return URL(fileURLWithPath: target).deletingLastPathComponent().appendingPathComponent("reproduction.md")
    }

    /// Blobs are read-only; make everything writable by its owner so the scratch store can go.
    private static func remove(_ folder: URL) {
        let manager = FileManager.default
        for case let path as String in manager.enumerator(atPath: folder.path)?.allObjects ?? [] {
            let url = folder.appendingPathComponent(path)
            let mode = (try? manager.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? 0o600
            try? manager.setAttributes([.posixPermissions: mode | 0o700], ofItemAtPath: url.path)
        }
        try? manager.removeItem(at: folder)
    }
}
