// `tlab worker`: run the pipelines submitted to a store until none is left, sharing their stages with
// every other worker and run on the same store. For cluster schedulers: start N of these.
import ArgumentParser
import Foundation
import Pipeline

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run submitted pipelines' stages, with other workers, until none is left.",
        discussion: """
            Takes the pipelines recorded with 'tlab run --submit', oldest first, and runs each like \\
            'tlab run' does: every stage key is claimed before it computes, so N workers started at \\
            once (a Slurm job array, a Kubernetes Job with parallelism N) split the independent stages \\
            between them and compute each once. A worker that is killed loses its claims when its \\
            lease lapses (--lease) and another resumes the stage from its last checkpoint. Exits 0 \\
            when no submitted pipeline is left open, 1 if a run of one failed (the submission is then \\
            closed as failed). The report goes to reports/<pipeline>/ of whichever worker finishes it; \\
            'tlab report --store ...' renders it anywhere. See docs/shared-store.md.

            EXAMPLES:
              tlab worker --store team.yaml
                (after: tlab run pipelines/fashion-transfer.yaml --store team.yaml --submit)
              TLAB_STORE=team.yaml TLAB_THREADS=1 tlab worker --quiet

            \\(HelpText.exitStatus)
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var claimOptions: ClaimOptions

    @Option(help: "Stages that may compute at once in this worker.")
    var jobs = 1

    @Flag(help: "Print only computed and failed stages.")
    var quiet = false

    @Option(help: ArgumentHelp("Folder reports go into, as <dir>/<pipeline>/.", valueName: "dir"),
            completion: .directory)
    var reports = "reports"

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
    }

    func run() throws {
        let store = try storeOptions.openOrCreate()
        let printer = RunEventPrinter(quiet: quiet, printsEpochs: true)
        let options = ExecutorOptions(jobs: jobs, quiet: quiet, toolVersion: TLab.toolVersion,
                                      exitOnInterrupt: true, reportsDirectory: URL(fileURLWithPath: reports),
                                      lease: claimOptions.lease, longestPoll: claimOptions.longestPoll)
        let outcomes = try Worker(store: store, options: options) { printer.handle($0) }.run()
        if outcomes.isEmpty { print("no submitted pipeline open in \(store.location.name); nothing to do") }
        for outcome in outcomes {
            if let run = outcome.run {
                let computed = run.computed.count
                print("submission \(outcome.submission) (\(outcome.pipeline)): run \(run.runID) "
                    + (run.failed ? "failed" : "finished") + ": \(computed) computed, \(run.stages.count - computed) cached or waited for")
            } else {
                print("submission \(outcome.submission) (\(outcome.pipeline)) cannot be run: \(outcome.problem ?? "")")
            }
        }
        let failed = outcomes.filter(\.failed).map(\.submission)
        if !failed.isEmpty { throw CommandError.submissionsFailed(failed) }
    }
}
