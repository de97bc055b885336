// `tlab run` under mpirun: rank 0 runs the pipeline and records it, the other ranks follow its orders
// and write nothing, and every rank ends cleanly when rank 0's run is over.
import Foundation
import Store
import TestSupport
import XCTest

final class MPIRunTests: XCTestCase {
    private var tlabBinary: URL { productsDirectory.appendingPathComponent("tlab") }

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
