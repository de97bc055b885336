// What an executor tells its caller while it works, and the options that steer it.
import Engine
import Foundation
import MPITransport

/// How a stage's outputs came to be in this run.
public enum StageOutcome: String, Sendable, Equatable {
    /// Reused from an earlier stage run of the same key; nothing was computed.
    case hit
    case computed
}

/// Something that happened during a run, in the order it happened (from several threads when
/// `jobs` > 1). The CLI renders these; tests collect them.
public enum ExecutionEvent: Sendable, Equatable {
    case runStarted(runID: Int64, pipeline: String)
    /// A stage begins: `reason` says why it computes (or "cached" when it is a hit).
    case stageStarted(stage: String, keyPrefix: String, reason: String)
    case stageFinished(stage: String, outcome: StageOutcome, seconds: Double)
    case stageFailed(stage: String, error: String)
    /// Not run because `upstream`, which it depends on, failed.
    case stageSkipped(stage: String, upstream: String)
    /// A live line, a download's bytes so far: it replaces the previous progress line of the same
    /// stage. (Training batches are shown by the engine's trainer itself; see `ExecutorOptions.liveBatchProgress`.)
    case progress(stage: String, line: String)
    /// A training epoch's figures: `epoch 2/6  loss 0.4100  accuracy 86.20%  val_loss …  lr 0.001  3.1 s`.
    case epochSummary(stage: String, line: String)
    case message(stage: String?, text: String)
    /// A forced stage computed again what an earlier run of the same key had recorded: whether the
    /// outputs came out bit-identical, and if not, what differs.
    case reproduction(stage: String, identical: Bool, text: String)
    case runFinished(runID: Int64, failed: Bool)
}

/// Receives events; called on whichever thread the event happened.
public typealias ExecutionEventSink = @Sendable (ExecutionEvent) -> Void

/// How a run goes.
public struct ExecutorOptions: Sendable {
    /// Stages to compute even when cached: a plan name (`finetune@frozen`) or a file stage name
    /// (`finetune`, meaning every variant's copy).
    public var force: Set<String>
    /// Stages that may compute at once (independent variants); results do not depend on it.
    public var jobs: Int
    /// No progress or epoch events, and no batch lines from the trainer.
    public var quiet: Bool
    /// The engine's trainer shows each batch (epoch, batch/total, loss, accuracy, images/s, ETA) as one
    /// line rewritten in place on standard error: for a terminal, one stage at a time (several
    /// stages' live lines would overwrite each other). Otherwise batches are left to the
    /// `epochSummary` events.
    public var liveBatchProgress: Bool
    /// Recorded with the run and shown in the report's provenance.
    public var toolVersion: String
    /// Catch SIGINT and SIGTERM: record the stage runs in progress as failed ("interrupted"), the
    /// run as interrupted, and exit with status 130. For the command-line tool; a library caller
    /// that does not want its process ended leaves it off.
    public var exitOnInterrupt: Bool
    /// Where finished reports are written, as `<reportsDirectory>/<pipeline name>/`; nil writes none.
    public var reportsDirectory: URL?
    /// How long a claim on a stage key lasts without renewal: a process killed while computing a
    /// stage holds up the others at most this long (on its own host, not at all: its pid is seen
    /// gone). Its heartbeat renews it every third of this.
    public var lease: TimeInterval
    /// The longest pause between two looks at a stage another process is computing; the first look
    /// comes after a quarter second and the pause doubles up to this.
    public var longestPoll: TimeInterval
    /// The submitted pipeline this run works on (`tlab worker`), recorded with the run.
    public var submissionID: Int64?
    /// Read and re-hash every output of a cache hit before reusing it (`tlab run --verify-outputs`).
    /// Off, a hit checks only that its output blobs are there, and the reads that use them check
    /// their bytes (a damaged one makes its producer compute again within the run).
    public var verifyOutputs: Bool
    /// The MPI job this process is a rank of (`mpirun … tlab run`), or nil. Rank 0 runs the executor
    /// and orders the other ranks (`RankFollower`) to compute each training stage's shards with it;
    /// `jobs` must then be 1, since the ranks go through those stages one at a time.
    public var ranks: MPIWorld?

    public init(force: Set<String> = [], jobs: Int = 1, quiet: Bool = false, liveBatchProgress: Bool = false,
                toolVersion: String = "0.1.0", exitOnInterrupt: Bool = false, reportsDirectory: URL? = nil,
                lease: TimeInterval = 30, longestPoll: TimeInterval = 5, submissionID: Int64? = nil,
                verifyOutputs: Bool = false, ranks: MPIWorld? = nil) {
        precondition(jobs >= 1, "jobs must be at least 1, got \(jobs)")
        precondition(ranks == nil || jobs == 1, "the ranks of an MPI job compute one stage at a time: jobs must be 1")
        self.ranks = ranks
        precondition(lease > 0 && longestPoll > 0, "leases and polls last some time")
        self.lease = lease
        self.longestPoll = longestPoll
        self.submissionID = submissionID
        self.verifyOutputs = verifyOutputs
        self.force = force
        self.jobs = jobs
        self.quiet = quiet
        self.liveBatchProgress = liveBatchProgress
        self.toolVersion = toolVersion
        self.exitOnInterrupt = exitOnInterrupt
        self.reportsDirectory = reportsDirectory
    }
}
