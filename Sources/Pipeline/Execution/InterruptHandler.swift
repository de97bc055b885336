// Ctrl-C and SIGTERM during a run: record what was in progress as failed, the run as interrupted,
// and exit 130. A SIGKILL cannot be caught; lineage marks such runs interrupted when a later run starts.
import Dispatch
import Foundation
import Store
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Catches SIGINT and SIGTERM while installed. Checkpoints already recorded stay, so the next run of
/// an interrupted training stage resumes from its last epoch.
final class InterruptHandler: @unchecked Sendable {
    private let lineage: LineageDatabase
    private let runID: Int64
    private let leases: LeaseKeeper
    private let lock = NSLock()
    /// The stage runs in progress and their scratch folders.
    private var active: [Int64: URL] = [:]
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "tlab.interrupt")

    init(lineage: LineageDatabase, runID: Int64, leases: LeaseKeeper) {
        self.lineage = lineage
        self.runID = runID
        self.leases = leases
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [unowned self] in self.interrupted(by: signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    func began(_ stageRunID: Int64, scratch: URL) { lock.withLock { active[stageRunID] = scratch } }
    func ended(_ stageRunID: Int64) { lock.withLock { _ = active.removeValue(forKey: stageRunID) } }

    func uninstall() {
        for source in sources { source.cancel() }
        sources.removeAll()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    private func interrupted(by signalNumber: Int32) {
        let name = signalNumber == SIGINT ? "SIGINT" : "SIGTERM"
        let stages = lock.withLock { active }
        for id in stages.keys.sorted() {
            try? lineage.failStageRun(id, error: "interrupted by \(name); its last checkpoint is kept for the next run")
        }
        // A download or an unpacked archive can be gigabytes; the stages' own cleanup never runs after `_exit`.
        for scratch in stages.values { try? FileManager.default.removeItem(at: scratch) }
        try? lineage.finishRun(runID, status: .interrupted)
        // Other processes waiting for our stages take them over now rather than when the leases lapse.
        leases.stop()
        FileHandle.standardError.write(Data("\ninterrupted by \(name); rerun to resume\n".utf8))
        // `_exit`, not `exit`: the run's threads are still working, and `exit` would run the shared
        // libraries' finalisers under them (libcrypto's, mid-hash, crashed a checkpoint save).
        // What matters is already durable: the lineage commits above and every finished blob.
        fflush(stdout)
        _exit(130)
    }
}
