// Collectives built from nonblocking sends and receives rather than MPI_Allgatherv/MPI_Bcast: the
// wait is a loop tlab owns, so no MPI call blocks forever (the watchdog, on another thread, stops a
// job whose rank went silent), and nothing depends on MPI's own algorithms. Bytes only; no
// reduction ever happens inside MPI, so results never depend on its summation order.
import Foundation
import LoadedMPI

enum Transfers {
    /// Message tags: the collectives of one job happen in the same order on every rank, so a tag per
    /// kind keeps them apart from the watchdog's heartbeats.
    static let gatherTag: Int32 = 1, lengthTag: Int32 = 2, payloadTag: Int32 = 3, heartbeatTag: Int32 = 4

    static func allGather(_ local: [UInt8], counts: [Int], into all: inout [UInt8], rank: Int) throws {
        try local.withUnsafeBytes { l in try all.withUnsafeMutableBytes { a in try allGather(l, counts: counts, into: a, rank: rank) } }
    }

    /// Each rank sends its bytes to every other rank and receives theirs straight into place.
    static func allGather(_ local: UnsafeRawBufferPointer, counts: [Int], into all: UnsafeMutableRawBufferPointer, rank: Int) throws {
        let offsets = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        if counts[rank] > 0 {
            all.baseAddress!.advanced(by: offsets[rank]).copyMemory(from: local.baseAddress!, byteCount: counts[rank])
        }
        var requests: [loaded_mpi_request?] = []
        for peer in counts.indices where peer != rank {
            if counts[rank] > 0 { requests.append(try send(local.baseAddress!, counts[rank], to: peer, tag: gatherTag)) }
            if counts[peer] > 0 {
                requests.append(try receive(all.baseAddress!.advanced(by: offsets[peer]), counts[peer], from: peer, tag: gatherTag))
            }
        }
        try wait(&requests)
    }

    /// The length first, then the bytes: receivers size their buffer from the first message.
    static func broadcast(_ bytes: [UInt8], rank: Int, size: Int) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        if rank == 0 {
            var length = UInt64(bytes.count).littleEndian
            try withUnsafeBytes(of: &length) { l in
                try bytes.withUnsafeBytes { b in
                    var requests: [loaded_mpi_request?] = []
                    for peer in 1..<size {
                        requests.append(try send(l.baseAddress!, 8, to: peer, tag: lengthTag))
                        if !bytes.isEmpty { requests.append(try send(b.baseAddress!, bytes.count, to: peer, tag: payloadTag)) }
                    }
                    try wait(&requests)
                }
            }
            return bytes
        }
        var length: UInt64 = 0
        try withUnsafeMutableBytes(of: &length) { l in
            var requests = [try receive(l.baseAddress!, 8, from: 0, tag: lengthTag)]
            try wait(&requests)
        }
        var received = [UInt8](repeating: 0, count: Int(UInt64(littleEndian: length)))
        if !received.isEmpty {
            try received.withUnsafeMutableBytes { r in
                var requests = [try receive(r.baseAddress!, r.count, from: 0, tag: payloadTag)]
                try wait(&requests)
            }
        }
        return received
    }

    static func send(_ bytes: UnsafeRawPointer, _ count: Int, to peer: Int, tag: Int32) throws -> loaded_mpi_request? {
        guard count <= Int(Int32.max) else { throw MPIError.messageTooLarge(bytes: count) }
        var request: loaded_mpi_request?
        try check(loaded_mpi_isend(bytes, Int32(count), Int32(peer), tag, &request), "MPI_Isend to rank \(peer)")
        return request
    }

    static func receive(_ bytes: UnsafeMutableRawPointer, _ count: Int, from peer: Int, tag: Int32) throws -> loaded_mpi_request? {
        guard count <= Int(Int32.max) else { throw MPIError.messageTooLarge(bytes: count) }
        var request: loaded_mpi_request?
        try check(loaded_mpi_irecv(bytes, Int32(count), Int32(peer), tag, &request), "MPI_Irecv from rank \(peer)")
        return request
    }

    /// Polls until every request has completed. MPI moves a large message only while some call of
    /// this process drives it, so for the first 20 ms the loop only yields the core between looks
    /// (a step's exchange usually ends within that); a longer wait (a rank still computing, rank 0
    /// writing blobs) sleeps 100 µs between looks and leaves the cores to the ranks that compute.
    /// With a `deadline`, gives up then and returns false.
    @discardableResult
    static func wait(_ requests: inout [loaded_mpi_request?], until deadline: Date? = nil) throws -> Bool {
        var pending = requests.indices.filter { requests[$0] != nil }
        let started = DispatchTime.now().uptimeNanoseconds
        while !pending.isEmpty {
            var still: [Int] = []
            for index in pending {
                var done: Int32 = 0
                try check(loaded_mpi_test(&requests[index], &done), "MPI_Test")
                if done == 0 { still.append(index) }
            }
            pending = still
            guard !pending.isEmpty else { break }
            if let deadline, Date() > deadline { return false }
            if DispatchTime.now().uptimeNanoseconds - started < 20_000_000 { sched_yield() } else { usleep(100) }
        }
        return true
    }
}
