// parallelFor runs every chunk exactly once however it is called: from the pool, nested in another
// region, from two threads at once, and across changes of the thread count.
import Foundation
import XCTest
@testable import Engine

final class ParallelTests: XCTestCase {
    override func tearDown() { EngineThreads.set(nil) }

    /// Runs `parallelFor` and returns how many times each chunk ran.
    private func visits(chunks: Int, work: (Int) -> Void = { _ in }) -> [Int] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
        counts.initialize(repeating: 0, count: chunks)
        defer { counts.deallocate() }
        parallelFor(chunks: chunks) { c in
            work(c)
            counts[c] += 1  // each chunk is one writer, so no race unless a chunk ran twice at once
        }
        return Array(UnsafeBufferPointer(start: counts, count: chunks))
    }

    func testEveryChunkRunsOnceOverManyRegions() {
        for threads in [2, 3, 1, 2] {
            EngineThreads.set(threads)
            for chunks in [1, 2, 3, 7, 64] {
                for _ in 0..<200 {
                    XCTAssertEqual(visits(chunks: chunks), Array(repeating: 1, count: chunks),
                                   "threads \(threads), chunks \(chunks)")
                }
            }
        }
    }

    func testARegionNestedInAnotherRunsEveryInnerChunk() {
        EngineThreads.set(2)
        let inner = UnsafeMutablePointer<Int>.allocate(capacity: 4 * 5)
        inner.initialize(repeating: 0, count: 4 * 5)
        defer { inner.deallocate() }
        let outer = visits(chunks: 4) { o in
            parallelFor(chunks: 5) { i in inner[o * 5 + i] += 1 }
        }
        XCTAssertEqual(outer, [1, 1, 1, 1])
        XCTAssertEqual(Array(UnsafeBufferPointer(start: inner, count: 20)), Array(repeating: 1, count: 20))
    }

    func testTwoThreadsCallingAtOnceBothFinish() {
        EngineThreads.set(2)
        let group = DispatchGroup()
        nonisolated(unsafe) let results = UnsafeMutablePointer<Bool>.allocate(capacity: 2)
        defer { results.deallocate() }
        for caller in 0..<2 {
            DispatchQueue.global().async(group: group) {
                var allOnce = true
                for _ in 0..<300 {
                    allOnce = allOnce && self.visits(chunks: 9) { _ in usleep(1) } == Array(repeating: 1, count: 9)
                }
                results[caller] = allOnce
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "a caller never returned")
        XCTAssertTrue(results[0] && results[1])
    }
}
