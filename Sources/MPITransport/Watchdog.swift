// Every rank sends every other rank a heartbeat each second from a thread of its own, whatever the
// rank is doing (training, waiting, writing blobs), and watches theirs. A rank that dies, hangs or is
// cut off falls silent; the first rank to notice stops the whole job, naming it, instead of every
// other rank waiting for it forever. A rank that finishes says goodbye first.
import Foundation
import LoadedMPI

final class Watchdog: @unchecked Sendable {
    let rank: Int
    let size: Int
    /// Seconds of silence after which a peer counts as gone; rank r waits a quarter second per rank
    /// more, so the lowest rank that notices stops the job and the error is said once.
    let silence: TimeInterval
    /// Called (on the watchdog's thread) with the silent peer and how long it has been silent.
    var onSilence: (Int, TimeInterval) -> Void = { _, _ in }
    static let interval: TimeInterval = 1
    private static let alive: UInt8 = 1, goodbye: UInt8 = 2

    private let lock = NSLock()
    private var stopping = false
    private var stopped = false
    private let thread = DispatchGroup()

    init(rank: Int, size: Int, silence: TimeInterval) {
        self.rank = rank
        self.size = size
        self.silence = silence
    }

    func start() {
        guard size > 1 else { return }
        thread.enter()
        Thread.detachNewThread { [self] in
            watch()
            thread.leave()
        }
    }

    /// Sends goodbyes and ends the thread.
    func stop() {
        guard size > 1 else { return }
        lock.lock()
        stopping = true
        lock.unlock()
        thread.wait()
    }

    private var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func watch() {
        let peers = (0..<size).filter { $0 != rank }
        var heard = [Int: Date](uniqueKeysWithValues: peers.map { ($0, Date()) })
        var departed = Set<Int>()
        let inbox = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        let outbox = UnsafeMutablePointer<UInt8>.allocate(capacity: 2)
        outbox[0] = Self.alive
        outbox[1] = Self.goodbye
        defer {
            inbox.deallocate()
            outbox.deallocate()
        }
        var receives = [Int: loaded_mpi_request?]()
        var sends = [Int: loaded_mpi_request?]()
        for peer in peers {
            var request: loaded_mpi_request?
            _ = loaded_mpi_irecv(inbox + peer, 1, Int32(peer), Transfers.heartbeatTag, &request)
            receives[peer] = request
        }
        var lastBeat = Date.distantPast
        while !isStopping {
            let now = Date()
            if now.timeIntervalSince(lastBeat) >= Self.interval {
                lastBeat = now
                for peer in peers where !departed.contains(peer) {
                    // A send to a peer that stopped reading stays pending; one is enough.
                    if var pending = sends[peer], pending != nil {
                        var done: Int32 = 0
                        _ = loaded_mpi_test(&pending, &done)
                        sends[peer] = done != 0 ? nil : pending
                        if done == 0 { continue }
                    }
                    var request: loaded_mpi_request?
                    _ = loaded_mpi_isend(outbox, 1, Int32(peer), Transfers.heartbeatTag, &request)
                    sends[peer] = request
                }
            }
            for peer in peers where !departed.contains(peer) {
                var request = receives[peer]!
                var done: Int32 = 0
                _ = loaded_mpi_test(&request, &done)
                guard done != 0 else { continue }
                heard[peer] = now
                if inbox[peer] == Self.goodbye {
                    departed.insert(peer)
                    receives[peer] = nil
                    continue
                }
                var next: loaded_mpi_request?
                _ = loaded_mpi_irecv(inbox + peer, 1, Int32(peer), Transfers.heartbeatTag, &next)
                receives[peer] = next
            }
            if let quietest = heard.filter({ !departed.contains($0.key) }).min(by: { $0.value < $1.value }),
               now.timeIntervalSince(quietest.value) > silence + 0.25 * Double(rank) {
                onSilence(quietest.key, now.timeIntervalSince(quietest.value))
            }
            usleep(100_000)
        }
        // A peer still running must not take this rank's end for a hang. Small messages go out
        // eagerly; a peer that has already left never takes its goodbye, hence the deadline.
        var goodbyes: [loaded_mpi_request?] = []
        for peer in peers where !departed.contains(peer) {
            var request: loaded_mpi_request?
            _ = loaded_mpi_isend(outbox + 1, 1, Int32(peer), Transfers.heartbeatTag, &request)
            goodbyes.append(request)
        }
        _ = try? Transfers.wait(&goodbyes, until: Date().addingTimeInterval(2))
        for peer in peers {
            if var request = receives[peer], request != nil { _ = loaded_mpi_cancel(&request) }
        }
    }
}
