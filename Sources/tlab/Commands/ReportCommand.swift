// `tlab report`: the comparison report of a pipeline's run, rendered again from the lineage alone:
// nothing trains, and the files are byte-identical to the ones the run wrote.
import ArgumentParser
import Foundation
import Pipeline
import Reporting

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Regenerate a run's comparison report (Markdown, CSV, SVG) from the lineage.",
        discussion: """
            Reads the report model the run's report stage recorded and renders report.md, results.csv \
            and the SVG charts again, into reports/<pipeline>/ unless --out says otherwise. Takes the \
            latest run of the pipeline with a finished report unless --run names one ('tlab runs' lists them).

            EXAMPLES:
              tlab report
              tlab report pipelines/smoke.yaml --run 3 --out /tmp/smoke-report
            """)

    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to report on (default: the latest with a report).",
                                                          valueName: "id"))
    var runID: Int64?

    @Option(help: ArgumentHelp("Folder to write into (default: reports/<pipeline>).", valueName: "dir"),
            completion: .directory)
    var out: String?

    func run() throws {
        let plan = try pipelineOptions.plan()
        let store = try storeOptions.openExisting()
        if let runID, try store.lineage.run(id: runID) == nil {
            throw CommandError.unknownRun(id: runID, newest: try store.lineage.runs(limit: 1).first?.id)
        }
        let files = try store.regenerateReport(pipeline: plan.name, runID: runID)
        let directory = URL(fileURLWithPath: out ?? "reports/\(plan.name)")
        for url in try ReportWriter.write(files: files, to: directory) {
            print(DisplayFormat.path(url))
        }
    }
}
