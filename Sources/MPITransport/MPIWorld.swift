// The processes of one MPI job (MPI_COMM_WORLD) as tlab uses them: ranks and their hosts, bytes
// exchanged point to point, a watchdog that ends the job when a rank stops answering, and an abort
// that says why. Only MPI_COMM_WORLD, only bytes: what the stages exchange is theirs to encode.
import Foundation
import LoadedMPI

/// The job this process is one rank of. Start it once per process (`start`), `finish` it once.
public final class MPIWorld: @unchecked Sendable {
    /// This process's rank, 0 ..< size.
    public let rank: Int
    public let size: Int
    /// Every rank's host name, by rank.
    public let hosts: [String]
    let watchdog: Watchdog
    /// All-gathers this rank has taken part in, and the bytes it received in them (from other ranks),
    /// so far: what a stage's exchanges cost, for its message.
    public private(set) var gathers = 0
    public private(set) var bytesReceived = 0

    /// Joins the job that launched this process, or returns nil when none did (`MPILaunch.alone`).
    /// `silence` is how long a rank may send no heartbeat before the job is stopped
    /// (`TLAB_MPI_TIMEOUT` seconds, 10 when unset).
    public static func start(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIWorld? {
        guard case .rank(let launcher) = try MPILaunch.detect(environment) else { return nil }
        let library = MPILaunch.library(environment)
        var reason = [CChar](repeating: 0, count: 1024)
        guard loaded_mpi_load(library, &reason, reason.count) == 0 else {
            throw MPIError.libraryUnavailable(library: library, reason: String(cString: reason), launcher: launcher)
        }
        var provided: Int32 = 0
        try check(loaded_mpi_init(&provided), "MPI_Init_thread")
        guard provided >= loaded_mpi_thread_multiple() else { throw MPIError.threadLevel(provided: provided) }
        var rank: Int32 = 0, size: Int32 = 0
        try check(loaded_mpi_rank(&rank), "MPI_Comm_rank")
        try check(loaded_mpi_size(&size), "MPI_Comm_size")
        let silence = environment["TLAB_MPI_TIMEOUT"].flatMap(Double.init).map { max(1, $0) } ?? 10
        return try MPIWorld(rank: Int(rank), size: Int(size), silence: silence)
    }

    private init(rank: Int, size: Int, silence: TimeInterval) throws {
        self.rank = rank
        self.size = size
        var name = [CChar](repeating: 0, count: Int(loaded_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try check(loaded_mpi_processor_name(&name, &length), "MPI_Get_processor_name")
        let host = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let bytes = Array(host.utf8.prefix(Self.hostBytes)) + [UInt8](repeating: 0, count: Self.hostBytes - min(host.utf8.count, Self.hostBytes))
        var all = [UInt8](repeating: 0, count: Self.hostBytes * size)
        try Transfers.allGather(bytes, counts: [Int](repeating: Self.hostBytes, count: size), into: &all, rank: rank)
        hosts = (0..<size).map { r in
            String(decoding: all[r * Self.hostBytes ..< (r + 1) * Self.hostBytes].prefix { $0 != 0 }, as: UTF8.self)
        }
        watchdog = Watchdog(rank: rank, size: size, silence: silence)
        watchdog.onSilence = { [hosts] peer, seconds in
            Self.abort(rank: rank, host: hosts[rank], "rank \(peer) (host \(hosts[peer])) has not answered for "
                + String(format: "%.0f", seconds) + " s (hung, stopped or cut off); stopping the job. Run the same command again "
                + "to resume training from its last checkpoint")
        }
        watchdog.start()
    }

    static let hostBytes = 256

    /// Every rank passes its own bytes (`counts[rank]` of them); every rank gets all ranks' bytes back to
    /// back in rank order, in `all` (`counts.reduce(0, +)` bytes). Blocks until every rank has taken part.
    public func allGather(_ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer) throws {
        guard counts.count == size, local.count == counts[rank], all.count == counts.reduce(0, +) else {
            throw MPIError.mismatch("allGather of \(local.count) bytes from rank \(rank) with counts \(counts) into \(all.count)")
        }
        try Transfers.allGather(local, counts: counts, into: all, rank: rank)
        gathers += 1
        bytesReceived += all.count - local.count
    }

    /// Rank 0's `bytes` to every rank (the others' `bytes` are ignored). Blocks until rank 0 sends.
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        try Transfers.broadcast(bytes, rank: rank, size: size)
    }

    /// Prints `message` as this rank's and ends every process of the job with a failure status.
    public func abort(_ message: String) -> Never {
        Self.abort(rank: rank, host: hosts[rank], message)
    }

    static func abort(rank: Int, host: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("error: rank \(rank) on \(host): \(message)\n".utf8))
        loaded_mpi_abort(Self.abortStatus)
        exit(Self.abortStatus)
    }

    /// The exit status of a job this process stopped.
    public static let abortStatus: Int32 = 70

    /// Leaves the job: tells the other ranks' watchdogs this rank is done, then MPI_Finalize, which
    /// waits for every rank to finish too.
    public func finish() {
        watchdog.stop()
        _ = loaded_mpi_finalize()
    }
}

func check(_ code: Int32, _ function: String) throws {
    guard code == 0 else { throw MPIError.call(function: function, code: code) }
}
