// `tlab status`: each stage of a pipeline, cached or to run, and why it would run (which parameter,
// input or version changed against the last run of that stage). `tlab run --dry-run` prints the same.
import ArgumentParser
import Foundation
import Pipeline
import Reporting

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which stages are cached and which would run, and why.",
        discussion: """
            Computes every stage's key from the pipeline file, the overrides and the store, without \
            running anything. A stage that would run says why: never run, a parameter changed (with \
            the old and new value), an input changed, or a stage or engine version changed. A stage \
            downstream of one that would run cannot know its inputs yet and says so. A cached stage \
            that fetched weights without a weights_sha256 shows the SHA-256 they were pinned to. The \
            copies of a stage repeated over seeds share a line when they agree \
            (finetune@frozen#{1,2,3}); --json lists every copy.

            EXAMPLES:
              tlab status
              tlab status pipelines/smoke.yaml -S variants.frozen.epochs=3
              tlab status --json | jq '.[] | select(.cached | not) | .stage'
            """)

    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Count this stage as forced to run (repeatable).", valueName: "stage"))
    var force: [String] = []

    func run() throws {
        let plan = try pipelineOptions.plan()
        try RunCommand.checkStageNames(force, in: plan)
        let previews = try Self.previews(of: plan, force: force, store: storeOptions)
        RecipeWarningText.print(plan)
        if output.json { return try JSONOutput.print(previews.map(Preview.init)) }
        print(Self.render(previews, pipeline: plan.name), terminator: "")
    }

    /// One stage as `--json` prints it.
    struct Preview: Encodable {
        let stage: String
        let kind: String
        /// The copy's seed and the stage all seeds' copies share, for a stage repeated over seeds.
        let seed: Int?
        let group: String
        let key: String?
        let cached: Bool
        let reasons: [String]
        let notes: [String]

        init(_ preview: StagePreview) {
            (stage, kind, key, cached, reasons, notes) = (preview.name, preview.kind.rawValue, preview.key,
                                                          preview.cached, preview.reasons, preview.notes)
            (group, seed) = StageNaming.split(preview.name)
        }
    }

    /// What a run of `plan` would do, stage by stage, against the store (or an empty one if none exists).
    static func previews(of plan: PipelinePlan, force: [String], store: StoreOptions) throws -> [StagePreview] {
        try store.withStoreForPreview { store in
            try Executor(plan: plan, store: store, options: ExecutorOptions(force: Set(force))).dryRun()
        }
    }

    static func render(_ previews: [StagePreview], pipeline: String) -> String {
        let terminal = Terminal.standardOutput
        let toRun = previews.filter { !$0.cached }.count
        var table = TextTable(["STATE", "STAGE", "KIND", "KEY", "WHY"])
        // A stage's seed copies that would do the same for the same reasons share a row.
        let rows = SeedGrouping.rows(previews, name: \.name) {
            "\($0.cached) \($0.key == nil) " + ($0.reasons + $0.notes).joined(separator: "; ")
        }
        for row in rows {
            let first = row.members[0]
            let key = row.members.count > 1 ? (first.key == nil ? "-" : "\(row.members.count) keys")
                : first.key.map(DisplayFormat.short) ?? "-"
            let seeds = row.members.compactMap { StageNaming.split($0.name).seed }
            table.append([first.cached ? "cached" : "run", row.label, first.kind.rawValue, key,
                          SeedGrouping.text((first.reasons + first.notes).joined(separator: "; "), seed: StageNaming.split(first.name).seed,
                                            seeds: seeds)])
        }
        let lines = table.rendered().split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("run ") ? terminal.paint(String(line), .yellow) : String(line)
        }
        let headline = "\(pipeline): \(previews.count) stages, \(previews.count - toRun) cached, \(toRun) to run\n"
        return headline + lines.joined(separator: "\n")
    }
}
