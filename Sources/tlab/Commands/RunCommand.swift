// `tlab run`: execute a pipeline with cache reuse, showing each stage and training as it goes, and
// say where the report is.
import ArgumentParser
import Foundation
import MPITransport
import Pipeline
import Reporting

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: cached stages are reused, the others computed and recorded.",
        discussion: """
            Each stage prints a line when it starts computing (with why it must) and when it ends \
            (cached, or computed in how long). On a terminal, training shows epoch, batch, loss, \
            accuracy, images/s and ETA on a live line, and a line per epoch; in a log (or with --jobs \
            above 1) a plain line per epoch names its stage and figures. A run \
            killed or interrupted loses at most the stage in progress, and training resumes from its \
            last epoch checkpoint when run again. The report goes to reports/<pipeline>/.

            A cached stage is reused when its outputs are in the store (a file check per output, \
            whatever their size); every read of a blob re-hashes it, and a stage that finds an input \
            damaged has the stage that produced it computed again in the same run, then goes on. \
            --verify-outputs re-hashes every cached output up front; 'tlab verify' checks the whole store.

            Several runs may share one store, on one machine or many (a shared store, see \
            docs/shared-store.md): each stage key is claimed before it computes, and a run that \
            finds a key claimed goes on with other stages, then reuses that key's result. With \
            --submit the pipeline is only recorded in the store, for 'tlab worker' processes to run.

            Under mpirun or srun --mpi=pmix, every rank runs the same command: rank 0 runs the \
            pipeline as above, and the other ranks compute with it each training stage's share of \
            every batch (its `shards` split over the ranks; the same bits as one process), writing \
            nothing. A rank that dies or stops answering for TLAB_MPI_TIMEOUT seconds (default 10) \
            stops the job with an error naming it; run it again to resume (docs/distributed.md).

            EXAMPLES:
              tlab run
              tlab run pipelines/smoke.yaml -S finetune.lr=3e-4 -S variants.frozen.epochs=3
              tlab run --dry-run
              tlab run --force finetune --jobs 2 > run.log
              tlab run --store team.yaml --submit      (then: tlab worker --store team.yaml)
              mpirun -np 4 tlab run -S finetune.shards=8

            \(HelpText.exitStatus)
            """)

    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var claimOptions: ClaimOptions

    @Flag(help: "Show what would run and why, run nothing (like 'tlab status').")
    var dryRun = false

    @Option(help: ArgumentHelp("Compute this stage even if cached: a stage of the file (every variant's copy) "
        + "or one copy like finetune@frozen (repeatable).", valueName: "stage"))
    var force: [String] = []

    @Option(help: "Stages that may compute at once (independent variants).")
    var jobs = 1

    @Flag(help: "Print only computed and failed stages and where the report is.")
    var quiet = false

    @Flag(help: "Record the pipeline (file and -S overrides) in the store for 'tlab worker' to run; compute nothing.")
    var submit = false

    @Flag(help: ArgumentHelp("Read and re-hash every output of a cached stage before reusing it (otherwise a cached stage "
        + "checks only that its outputs are there, and every read checks the bytes it uses)."))
    var verifyOutputs = false

    @Option(help: ArgumentHelp("Folder the report goes into, as <dir>/<pipeline>/.", valueName: "dir"),
            completion: .directory)
    var reports = "reports"

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, not \(jobs)") }
        if jobs > 1, !submit, case .rank = try MPILaunch.detect(ProcessInfo.processInfo.environment) {
            throw ValidationError("--jobs must be 1 under mpirun or srun (the ranks go through the training stages together, "
                + "one at a time), not \(jobs)")
        }
    }

    func run() throws {
        let plan = try pipelineOptions.plan()
        try Self.checkStageNames(force, in: plan)
        if dryRun {
            let previews = try StatusCommand.previews(of: plan, force: force, store: storeOptions)
            RecipeWarningText.print(plan)
            print(StatusCommand.render(previews, pipeline: plan.name), terminator: "")
            return
        }
        // Under mpirun or srun: every rank but 0 follows rank 0's orders and prints nothing of its own.
        // A rank that fails before rank 0's executor runs exits without leaving the job, and the
        // launcher stops the others; from then on rank 0's executor tells them when the run is over.
        let world = submit ? nil : try MPIWorld.start()
        if let world, world.rank != 0 {
            do {
                _ = try RankFollower(plan: plan, location: storeOptions.location(), world: world, patience: storeOptions.patience).run()
            } catch {
                world.abort("\(error)")
            }
            return world.finish()
        }
        let store = try storeOptions.openOrCreate()
        RecipeWarningText.print(plan)
        if submit { return try Self.submit(plan, pipelineOptions, to: store, named: storeOptions.value) }
        // On a terminal, one stage at a time, the trainer shows batches itself as a live line (on
        // stderr, the same screen) with its epoch lines. In a log, or with stages in parallel whose
        // unlabelled lines would interleave, epoch summaries come as plain lines naming their stage.
        let trainerShows = !quiet && jobs == 1 && Terminal.standardOutput.isInteractive
        let printer = RunEventPrinter(quiet: quiet, printsEpochs: !trainerShows)
        let options = ExecutorOptions(force: Set(force), jobs: jobs, quiet: quiet, liveBatchProgress: trainerShows,
                                      toolVersion: TLab.toolVersion, exitOnInterrupt: true,
                                      reportsDirectory: URL(fileURLWithPath: reports), lease: claimOptions.lease,
                                      longestPoll: claimOptions.longestPoll, verifyOutputs: verifyOutputs, ranks: world)
        let executor = Executor(plan: plan, store: store, options: options) { printer.handle($0) }
        let summary: RunSummary
        do {
            summary = try executor.run()
            world?.finish()
        } catch {
            world?.finish()
            throw error
        }
        let failed = summary.stages.filter { if case .failed = $0.state { return true } else { return false } }
        guard failed.isEmpty else {
            throw CommandError.runFailed(runID: summary.runID, stages: failed.map(\.name))
        }
        let computed = summary.computed.count
        print("run \(summary.runID) finished: \(computed) computed, \(summary.stages.count - computed) cached")
        if let markdown = summary.reportFiles.first(where: { $0.hasSuffix("/" + ReportWriter.markdownFile) }) {
            print("report: \(DisplayFormat.path(URL(fileURLWithPath: markdown)))")
        }
    }

    /// Records `plan` for workers: the file's text and the overrides, from which any worker rebuilds it.
    static func submit(_ plan: PipelinePlan, _ options: PipelineOptions, to store: PipelineStore, named: String) throws {
        let text = try String(contentsOfFile: options.pipeline, encoding: .utf8)
        let submission = try store.lineage.submit(pipeline: plan.name, pipelineHash: plan.runHash, file: options.pipeline,
                                                  fileText: text, overrides: options.overrides)
        print("submitted \(plan.name) as submission \(submission.id); run it with: tlab worker --store \(named)")
    }

    /// Fails with the plan's own message (nearest name, every stage) when a `--force` names no stage.
    static func checkStageNames(_ names: [String], in plan: PipelinePlan) throws {
        for name in names { _ = try plan.stages(named: name) }
    }
}
