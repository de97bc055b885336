// `tlab run` under mpirun: rank 0 runs the pipeline and records it, the other ranks follow its orders
// and write nothing, and every rank ends when rank 0's run is over. Training stages split into shards
// over 1, 2 and 3 ranks give the plain run's bits; more ranks than shards is refused; a rank killed
// mid-epoch stops the job and the rerun resumes from the checkpoint to the uninterrupted run's bits.
import Foundation
import Store
import TestSupport
import XCTest

final class MPIRunTests: XCTestCase {
    private var tlabBinary: URL { productsDirectory.appendingPathComponent("tlab") }
    /// Six shards: 1, 2 and 3 ranks all divide them, and the 18-image last batch splits unevenly.
    private let sharded = ["-S", "pretrain.shards=6", "-S", "finetune.shards=6"]
    /// One engine thread per rank: three ranks already oversubscribe two cores.
    private let oneThread = ["TLAB_THREADS": "1"]
    private let trainedStages = ["pretrain", "finetune@basic", "finetune@frozen", "evaluate@basic", "evaluate@frozen"]

    func testOneTwoAndThreeRanksGiveThePlainRunsBits() throws {
        let folder = try makePipelineFolder()
        let plain = try tlab(["run", "tiny.yaml", "--store", "plain"] + sharded, in: folder, environment: oneThread)
        XCTAssertEqual(plain.status, 0, plain.stdout + plain.stderr)
        for ranks in 1...3 {
            let store = "ranks\(ranks)"
            let result = try MPIRun(ranks: ranks, program: tlabBinary, arguments: ["run", "tiny.yaml", "--store", store] + sharded,
                                    in: folder, environment: oneThread).finish(timeout: 300)
            XCTAssertFalse(result.timedOut, "\(ranks) ranks: \(result.stdout)\n\(result.stderr)")
            XCTAssertEqual(result.status, 0, "\(ranks) ranks: \(result.stdout)\n\(result.stderr)")
            XCTAssertTrue(result.stdout.contains("run 1 finished: 10 computed, 0 cached"), result.stdout)
            if ranks > 1 {
                // The ranks really shared the shards: gradients and BatchNorm sums went between them.
                for stage in ["pretrain", "finetune@basic"] {
                    let line = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.contains("\(stage): computed by \(ranks) ranks, shards 6") },
                                             result.stdout)
                    XCTAssertFalse(line.contains("received 0.0 MB"), String(line))
                }
            }
            for stage in trainedStages {
                XCTAssertEqual(try outputs(of: stage, in: folder, store: store), try outputs(of: stage, in: folder, store: "plain"),
                               "\(stage) with \(ranks) ranks")
            }
        }
    }

    func testMoreRanksThanShardsIsRefusedNamingBoth() throws {
        let folder = try makePipelineFolder()
        let result = try MPIRun(ranks: 3, program: tlabBinary,
                                arguments: ["run", "tiny.yaml", "--store", "store", "-S", "pretrain.shards=2"],
                                in: folder, environment: oneThread).finish(timeout: 300)
        XCTAssertFalse(result.timedOut, result.stdout + result.stderr)
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("the job has 3 processes but the stage's `shards` is 2"), result.stdout)
        XCTAssertTrue(result.stdout.contains("freeze@basic: pretrain did not finish"), result.stdout)
    }

    /// Rank 1 is SIGKILLed while rank 0 trains epoch after epoch with it: the job ends within 10 s,
    /// and the same command again resumes from the last checkpoint to the uninterrupted run's bits.
    func testKilledRankStopsTheJobAndTheRerunResumes() throws {
        let folder = try makePipelineFolder()
        let longer = sharded + ["-S", "variants.basic.epochs=40", "-S", "prep.per_class=30"]
        let whole = try tlab(["run", "tiny.yaml", "--store", "whole"] + longer, in: folder, environment: oneThread)
        XCTAssertEqual(whole.status, 0, whole.stdout + whole.stderr)

        let arguments = ["run", "tiny.yaml", "--store", "crashed"] + longer
        let job = try MPIRun(ranks: 2, program: tlabBinary, arguments: arguments, in: folder, environment: oneThread)
        // The live line of epoch 3 comes after epoch 2's checkpoint is recorded.
        XCTAssertTrue(job.wait(for: { $0.contains("epoch 3/40") }, stderr: true, timeout: 300), job.stdoutSoFar)
        let rank1 = try XCTUnwrap(Self.rank(1, under: job.process.processIdentifier), "rank 1's process")
        let killedAt = Date()
        kill(rank1, SIGKILL)
        let killed = try job.finish(timeout: 30)
        XCTAssertFalse(killed.timedOut, killed.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 10, killed.stderr)
        XCTAssertNotEqual(killed.status, 0)
        XCTAssertFalse(killed.stdout.contains("computed finetune@basic"), killed.stdout)

        let resumed = try MPIRun(ranks: 2, program: tlabBinary, arguments: arguments, in: folder, environment: oneThread)
            .finish(timeout: 300)
        XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("finetune@basic: resuming from the checkpoint after epoch "), resumed.stdout)
        for stage in trainedStages {
            let expected = try outputs(of: stage, in: folder, store: "whole").filter { !$0.key.hasPrefix("checkpoint") }
            let found = try outputs(of: stage, in: folder, store: "crashed").filter { !$0.key.hasPrefix("checkpoint") }
            XCTAssertEqual(found, expected, stage)
        }
    }

    /// The child of mpirun that is rank `rank` (Open MPI puts OMPI_COMM_WORLD_RANK in each rank's environment).
    static func rank(_ rank: Int, under mpirun: pid_t) -> pid_t? {
        let children = (try? String(contentsOfFile: "/proc/\(mpirun)/task/\(mpirun)/children", encoding: .utf8)) ?? ""
        for pid in children.split(separator: " ").compactMap({ pid_t($0) }) {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    /// Stages rank 0 computes alone (no training): the others wait for its orders, then leave with it.
    private let dataOnly = """
        name: data-only
        seed: 3
        stages:
          data:
            kind: download
            params: { source: synthetic, images: 300, image_size: 12 }
          prep:
            kind: preprocess
            inputs: { raw: data }
            params: { source_classes: [0, 1, 2, 3, 4], target_classes: [5, 6, 7, 8, 9], per_class: 10 }

        """

    func testRankZeroAloneRecordsAndTheOthersLeaveWithIt() throws {
        let folder = try makeScratchFolder()
        try dataOnly.write(to: folder.appendingPathComponent("data.yaml"), atomically: true, encoding: .utf8)
        let plain = try tlab(["run", "data.yaml", "--store", "plain"], in: folder)
        XCTAssertEqual(plain.status, 0, plain.stdout + plain.stderr)

        let result = try MPIRun(ranks: 3, program: tlabBinary, arguments: ["run", "data.yaml", "--store", "ranks", "--quiet"],
                                in: folder).finish(timeout: 120)
        XCTAssertFalse(result.timedOut, result.stdout + result.stderr)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        // One run, printed once: the other ranks neither ran the pipeline nor printed.
        XCTAssertEqual(result.stdout, "run 1 of data-only\ncomputed data in \(try seconds(result.stdout, "data"))\n"
            + "computed prep in \(try seconds(result.stdout, "prep"))\nrun 1 finished: 2 computed, 0 cached\n")
        let runs = try tlab(["runs", "--store", "ranks", "--json"], in: folder)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.count, 1, runs.stdout)
        for stage in ["data", "prep"] {
            XCTAssertEqual(try outputs(of: stage, in: folder, store: "ranks"), try outputs(of: stage, in: folder, store: "plain"), stage)
        }
    }

    /// "0.102 s" from "computed data in 0.102 s".
    private func seconds(_ output: String, _ stage: String) throws -> String {
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("computed \(stage) in ") }, output)
        return String(line.dropFirst("computed \(stage) in ".count))
    }
}
