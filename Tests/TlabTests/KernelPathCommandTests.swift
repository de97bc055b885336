// One binary for every CPU: tlab names its kernel path, refuses one the CPU cannot run, and trains
// the same bits on every path, including under qemu's Nehalem (no AVX), where it picks the portable
// path by itself.
import Foundation
import XCTest
import TestSupport

final class KernelPathCommandTests: XCTestCase {
    func testVersionNamesTheKernelPathAndWhy() throws {
        let folder = try makeScratchFolder()
        let chosen = try tlab(["--version"], in: folder)
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertTrue(chosen.stdout.contains(", kernels \(Self.fastestPath) (fastest this CPU runs))"), chosen.stdout)
        let forced = try tlab(["--version"], in: folder, environment: ["TLAB_KERNELS": "portable"])
        XCTAssertTrue(forced.stdout.contains(", kernels portable (forced by TLAB_KERNELS=portable))"), forced.stdout)
    }

    func testAKernelPathThatCannotRunHereIsRefusedByName() throws {
        let folder = try makeScratchFolder()
        #if arch(x86_64)
        let unrunnable = "neon"
        #else
        let unrunnable = "avx2"
        #endif
        let refused = try tlab(["bench", "workload"], in: folder, environment: ["TLAB_KERNELS": unrunnable])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stdout, "")
        XCTAssertTrue(refused.stderr.hasPrefix("error: TLAB_KERNELS=\(unrunnable): this CPU or build cannot run the "
                                               + "\(unrunnable) kernels; valid here: "), refused.stderr)
        let unknown = try tlab(["--version"], in: folder, environment: ["TLAB_KERNELS": "avx512"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("error: TLAB_KERNELS=avx512 is not a kernel path; valid here: "),
                      unknown.stderr)
    }

    /// The fixed workload's weights digest with the fastest path, and with the portable one forced.
    func testEveryPathTrainsTheSameWeights() throws {
        let folder = try makeScratchFolder()
        let fastest = try tlab(["bench", "workload"], in: folder)
        let portable = try tlab(["bench", "workload"], in: folder, environment: ["TLAB_KERNELS": "portable"])
        XCTAssertEqual(fastest.status, 0, fastest.stderr)
        XCTAssertEqual(portable.status, 0, portable.stderr)
        XCTAssertTrue(portable.stdout.hasSuffix("kernels=portable (forced by TLAB_KERNELS=portable)\n"), portable.stdout)
        XCTAssertEqual(Self.digest(fastest.stdout), Self.digest(portable.stdout), "\(fastest.stdout)\(portable.stdout)")
    }

    /// The binary on a CPU without AVX (qemu-user's Nehalem): it starts, picks the portable path, refuses
    /// avx2, and trains the same weights as the native run. Skipped without qemu-x86_64 (qemu-user), a
    /// failure then under TLAB_REQUIRE_SERVICES=1.
    func testANehalemWithoutAVXRunsThePortablePathWithTheSameBits() throws {
        #if !arch(x86_64)
        throw XCTSkip("the Nehalem check is for x86-64")
        #endif
        let qemu = "/usr/bin/qemu-x86_64"
        guard FileManager.default.isExecutableFile(atPath: qemu) else {
            throw missingService("\(qemu) not found (apt-get install qemu-user)")
        }
        let folder = try makeScratchFolder(), binary = productsDirectory.appendingPathComponent("tlab").path
        let nehalem = ["-cpu", "Nehalem", binary]
        let version = try tlab(["--version"], in: folder, executable: qemu, prefix: nehalem)
        XCTAssertEqual(version.status, 0, version.stderr)
        XCTAssertTrue(version.stdout.contains(", kernels portable (fastest this CPU runs))"), version.stdout)
        let avx2 = try tlab(["--version"], in: folder, environment: ["TLAB_KERNELS": "avx2"], executable: qemu,
                            prefix: nehalem)
        XCTAssertEqual(avx2.status, 1)
        XCTAssertTrue(avx2.stderr.contains("cannot run the avx2 kernels; valid here: portable"), avx2.stderr)
        let emulated = try tlab(["bench", "workload"], in: folder, executable: qemu, prefix: nehalem)
        let native = try tlab(["bench", "workload"], in: folder)
        XCTAssertEqual(emulated.status, 0, emulated.stderr)
        XCTAssertEqual(Self.digest(emulated.stdout), Self.digest(native.stdout), "\(emulated.stdout)\(native.stdout)")
        print("Nehalem under qemu: \(emulated.stdout)native: \(native.stdout)", terminator: "")
    }

    /// The path tlab should pick here: avx2 where /proc/cpuinfo lists avx2 and fma, else portable (x86-64).
    static var fastestPath: String {
        #if arch(x86_64)
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? [])
        return flags.contains("avx2") && flags.contains("fma") ? "avx2" : "portable"
        #else
        return "neon"
        #endif
    }

    /// "e142aa6b3acbd658" from "weights digest e142aa6b3acbd658  kernels=…".
    static func digest(_ output: String) -> String? {
        let words = output.split(separator: " ")
        guard words.count >= 3, words[0] == "weights", words[1] == "digest" else { return nil }
        return String(words[2])
    }
}
