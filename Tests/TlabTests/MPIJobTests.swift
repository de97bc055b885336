// Real MPI jobs of the built tlab under Open MPI's mpirun on this machine: ranks find each other, bytes
// go between them intact, and a rank that hangs or dies ends the job within seconds, named.
import Foundation
import TestSupport
import XCTest

final class MPIJobTests: XCTestCase {
    private var tlabBinary: URL { productsDirectory.appendingPathComponent("tlab") }

    func testThreeRanksGatherAndBroadcastIntact() throws {
        let job = try MPIRun(ranks: 3, program: tlabBinary, arguments: ["mpi-check", "--bytes", "300001", "--rounds", "4"],
                             in: try makeScratchFolder())
        let result = try job.finish(timeout: 60)
        XCTAssertFalse(result.timedOut, result.stdout + result.stderr)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        for rank in 0..<3 { XCTAssertTrue(result.stdout.contains("rank \(rank) of 3: host "), result.stdout) }
        XCTAssertTrue(result.stdout.contains("4 rounds of 300001 bytes per rank, all intact"), result.stdout)
    }

    func testOneRankAloneIsAJobOfOne() throws {
        let result = try MPIRun(ranks: 1, program: tlabBinary, arguments: ["mpi-check", "--rounds", "2"],
                                in: try makeScratchFolder()).finish(timeout: 60)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("rank 0 of 1: host "), result.stdout)
    }

    /// A stopped rank (SIGSTOP: alive, silent, as a hung process or a cut cable looks) ends the job
    /// within the watchdog's timeout, with one error naming it; without the watchdog the other ranks
    /// would wait in their all-gather for ever.
    func testStoppedRankEndsTheJobNamingIt() throws {
        let job = try MPIRun(ranks: 3, program: tlabBinary, arguments: ["mpi-check", "--rounds", "600", "--pause", "0.05"],
                             in: try makeScratchFolder(), environment: ["TLAB_MPI_TIMEOUT": "3"])
        let pids = try rankPids(of: job, ranks: 3)
        let stoppedAt = Date()
        kill(pids[2], SIGSTOP)
        defer { kill(pids[2], SIGKILL) }
        let result = try job.finish(timeout: 30)
        XCTAssertFalse(result.timedOut, "the job went on with a stopped rank:\n\(result.stderr)")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(stoppedAt), 12, result.stderr)
        XCTAssertTrue(result.stderr.contains("rank 2 (host "), result.stderr)
        XCTAssertTrue(result.stderr.contains("has not answered for"), result.stderr)
    }

    /// A killed rank ends the job at once (mpirun sees it go), naming it.
    func testKilledRankEndsTheJob() throws {
        let job = try MPIRun(ranks: 3, program: tlabBinary, arguments: ["mpi-check", "--rounds", "600", "--pause", "0.05"],
                             in: try makeScratchFolder())
        let pids = try rankPids(of: job, ranks: 3)
        let killedAt = Date()
        kill(pids[1], SIGKILL)
        let result = try job.finish(timeout: 30)
        XCTAssertFalse(result.timedOut, result.stderr)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 10, result.stderr)
        XCTAssertTrue(result.stderr.contains("rank 1"), result.stderr)
    }

    /// mpirun's environment without the library: the error says what was expected and how to get it.
    func testMissingLibraryIsNamedWithHowToInstall() throws {
        let result = try tlab(["mpi-check"], in: try makeScratchFolder(),
                              environment: ["OMPI_COMM_WORLD_SIZE": "2", "TLAB_LIBMPI": "/nonexistent/libmpi.so.40"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("started by mpirun (OMPI_COMM_WORLD_SIZE is set), but /nonexistent/libmpi.so.40 could not be loaded"),
                      result.stderr)
        XCTAssertTrue(result.stderr.contains("openmpi-bin"), result.stderr)
    }

    /// srun's tasks without --mpi=pmix would each run the whole pipeline alone: refused.
    func testSrunWithoutMPIPluginIsRefused() throws {
        let result = try tlab(["mpi-check"], in: try makeScratchFolder(),
                              environment: ["SLURM_STEP_ID": "0", "SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "1"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("srun started 4 tasks"), result.stderr)
        XCTAssertTrue(result.stderr.contains("srun --mpi=pmix"), result.stderr)
    }

    /// The pids rank 0 prints for every rank.
    private func rankPids(of job: MPIRun, ranks: Int) throws -> [pid_t] {
        let listed = job.wait(for: { out in (0..<ranks).allSatisfy { out.contains("rank \($0) of \(ranks):") } }, timeout: 60)
        XCTAssertTrue(listed, job.stdoutSoFar)
        let pattern = try Regex("rank ([0-9]+) of [0-9]+: host [^,]+, pid ([0-9]+)")
        var pids = [pid_t](repeating: 0, count: ranks)
        for match in job.stdoutSoFar.matches(of: pattern) {
            if let rank = match.output[1].substring.flatMap({ Int($0) }), let pid = match.output[2].substring.flatMap({ pid_t($0) }) {
                pids[rank] = pid
            }
        }
        guard !pids.contains(0) else { throw RankPidsMissing(output: job.stdoutSoFar) }
        return pids
    }
}

private struct RankPidsMissing: Error {
    let output: String
}
