// `tlab mpi-check`: before a long training job, check that the ranks mpirun or srun started find
// each other, which host each is on, and that bytes go between them intact and how fast.
import ArgumentParser
import Foundation
import MPITransport

struct MPICheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-check",
        abstract: "Check an MPI job: every rank's host, and all-gathers and broadcasts checked byte for byte.",
        discussion: """
            Run it as the training job will run: under mpirun or srun --mpi=pmix. Rank 0 prints one line \
            per rank (rank, host, process id), then the time the exchanges took and the bytes each rank \
            received per second. A rank that stops answering ends the job within TLAB_MPI_TIMEOUT \
            seconds (default 10) with an error naming it.

            EXAMPLES:
              tlab mpi-check   (as each rank of: mpirun -np 3 tlab mpi-check)
              srun --mpi=pmix -N 4 tlab mpi-check --bytes 33554432 --rounds 20
            """)

    @Option(help: "Bytes each rank contributes to each all-gather.")
    var bytes = 1 << 20

    @Option(help: "All-gather and broadcast rounds.")
    var rounds = 10

    @Option(help: ArgumentHelp("Seconds to wait between rounds (to watch a job, or stop a rank in the middle of it).",
                               valueName: "seconds"))
    var pause = 0.0

    func validate() throws {
        guard bytes >= 0, bytes <= Int(Int32.max) else { throw ValidationError("--bytes must be 0 ... 2147483647, not \(bytes)") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, not \(rounds)") }
        guard pause >= 0 else { throw ValidationError("--pause must be 0 or more seconds, not \(pause)") }
    }

    func run() throws {
        guard let world = try MPIWorld.start() else {
            throw ValidationError("not started by an MPI launcher; run it as `mpirun -np 2 tlab mpi-check` "
                + "or `srun --mpi=pmix tlab mpi-check`")
        }
        var pid = UInt64(getpid()).littleEndian
        var pids = [UInt64](repeating: 0, count: world.size)
        try withUnsafeBytes(of: &pid) { local in
            try pids.withUnsafeMutableBytes { try world.allGather(local, counts: [Int](repeating: 8, count: world.size), into: $0) }
        }
        if world.rank == 0 {
            for r in 0..<world.size { say("rank \(r) of \(world.size): host \(world.hosts[r]), pid \(UInt64(littleEndian: pids[r]))") }
        }
        let counts = [Int](repeating: bytes, count: world.size)
        var all = [UInt8](repeating: 0, count: bytes * world.size)
        // Only the exchanges are timed: filling and checking the bytes is not the network's time.
        var seconds = 0.0
        for round in 0..<rounds {
            let local = (0..<bytes).map { Self.byte(rank: world.rank, round: round, index: $0) }
            let started = Date()
            try local.withUnsafeBytes { l in try all.withUnsafeMutableBytes { try world.allGather(l, counts: counts, into: $0) } }
            let token = Array("round \(round) from rank 0".utf8)
            let received = try world.broadcast(world.rank == 0 ? token : [])
            seconds += Date().timeIntervalSince(started)
            all.withUnsafeBufferPointer { gathered in
                for r in 0..<world.size {
                    for i in 0..<bytes where gathered[r * bytes + i] != Self.byte(rank: r, round: round, index: i) {
                        world.abort("all-gather round \(round): byte \(i) from rank \(r) is \(gathered[r * bytes + i]), "
                            + "not \(Self.byte(rank: r, round: round, index: i))")
                    }
                }
            }
            if received != token { world.abort("broadcast round \(round) gave \(received.count) wrong bytes") }
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
        if world.rank == 0 {
            let receivedPerRank = Double(bytes * (world.size - 1) * rounds)
            say("\(rounds) rounds of \(bytes) bytes per rank, all intact: " + String(format: "%.3f s exchanging, %.1f MB/s received per rank",
                seconds, receivedPerRank / max(seconds, 1e-9) / 1e6))
        }
        world.finish()
    }

    /// A byte no other rank, round or position would put there by mistake in the same pattern.
    static func byte(rank: Int, round: Int, index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: rank &* 131 &+ round &* 7 &+ index &* 13 &+ (index >> 8))
    }

    /// Prints at once: a test, or a user, reads rank lines while the job still runs.
    private func say(_ line: String) {
        print(line)
        fflush(stdout)
    }
}
