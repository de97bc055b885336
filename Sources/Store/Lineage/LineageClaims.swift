// Claims: a lease row per stage key (and per run, as `run:<id>`) so that across processes and machines
// each key is computed once. Claiming is one atomic upsert that succeeds only on a free or expired
// row; the holder's heartbeat (`LeaseKeeper`) pushes the expiry forward, and a holder that dies stops
// renewing, so its claim lapses within one lease. Expiry is judged by the database's clock.
import Foundation

/// Who holds a claim, as shown to a run that waits for it.
public struct ClaimHolder: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var pid: Int32
    public var processStart: Int64?
    public var claimed: Date
    public var expires: Date

    public var description: String { "process \(pid) on \(host)" }
}

/// The outcome of `LineageDatabase.claim`.
public enum ClaimAttempt: Sendable, Equatable {
    /// The key is ours until released or lapsed; `token` renews and releases it.
    case claimed(token: String)
    /// Another live process holds it.
    case held(by: ClaimHolder)
}

/// A claim's state as `markInterrupted` needs it.
struct LeaseState {
    var host: String
    var pid: Int32
    var processStart: Int64?
    var live: Bool
}

extension LineageDatabase {
    /// The claim key that keeps a run's own row alive while it waits on other processes' stages.
    static func runClaimKey(_ id: Int64) -> String { "run:\(id)" }

    /// Claims `key` for `lease` seconds if no live process holds it. A claim held by a dead process
    /// of this host is taken at once (its pid is gone); one of another host only once it lapsed.
    public func claim(_ key: String, lease: TimeInterval) throws -> ClaimAttempt {
        let token = UUID().uuidString
        return try database.write { db in
            let now = db.dialect.now(), expires = db.dialect.now(plus: lease)
            for _ in 0..<2 {
                let won = try db.row("""
                    INSERT INTO claims (key, token, host, pid, process_start, claimed, expires)
                    VALUES (?, ?, ?, ?, ?, \(now), \(expires))
                    ON CONFLICT (key) DO UPDATE SET token = excluded.token, host = excluded.host, pid = excluded.pid,
                        process_start = excluded.process_start, claimed = excluded.claimed, expires = excluded.expires
                    WHERE claims.expires < excluded.claimed
                    RETURNING token
                    """, [key, token, identity.host, identity.pid, identity.startTicks])
                if won != nil { return .claimed(token: token) }
                guard let row = try db.row("SELECT * FROM claims WHERE key = ?", [key]) else { continue }
                let holder = ClaimHolder(host: try row.get("host"), pid: try row.get("pid"),
                                         processStart: try row.get("process_start"), claimed: try row.get("claimed"),
                                         expires: try row.get("expires"))
                guard holder.host == identity.host,
                      liveness.ownerIsGone(host: holder.host, pid: holder.pid, processStart: holder.processStart,
                                           started: holder.claimed, now: Date())
                else { return .held(by: holder) }
                try db.execute("DELETE FROM claims WHERE key = ? AND token = ?", [key, try row.get("token", as: String.self)])
            }
            // The row vanished or was freed between statements of this transaction: only a concurrent
            // release can do that, and the caller simply tries again.
            throw LineageError.claimContended(key: key)
        }
    }

    /// Pushes the expiry of the claims `tokens` name `lease` seconds past now; returns the tokens that
    /// are still held (a claim that lapsed and was taken by another process is not).
    public func renew(tokens: [String], lease: TimeInterval) throws -> Set<String> {
        guard !tokens.isEmpty else { return [] }
        return try database.write { db in
            try db.execute("UPDATE claims SET expires = \(db.dialect.now(plus: lease)) WHERE token IN (\(db.dialect.list(.text)))",
                           [try jsonList(tokens)])
            return Set(try db.column("SELECT token FROM claims WHERE token IN (\(db.dialect.list(.text)))",
                                     [try jsonList(tokens)], as: String.self))
        }
    }

    /// Gives up the claim `token` on `key` (if still ours), so a waiting process goes on at once.
    public func release(_ key: String, token: String) throws {
        try database.write { db in
            try db.execute("DELETE FROM claims WHERE key = ? AND token = ?", [key, token])
        }
    }

    /// The live claim on `key`, if any.
    public func holder(of key: String) throws -> ClaimHolder? {
        try database.read { db in
            try db.row("SELECT * FROM claims WHERE key = ? AND expires >= \(db.dialect.now())", [key]).map { row in
                ClaimHolder(host: try row.get("host"), pid: try row.get("pid"), processStart: try row.get("process_start"),
                            claimed: try row.get("claimed"), expires: try row.get("expires"))
            }
        }
    }

    /// When the oldest live claim was taken: whatever a claim holder has written to the blob store
    /// since is not recorded yet, so gc spares unrecorded blobs younger than that.
    public func oldestLiveClaim() throws -> Date? {
        try database.read { db in
            try db.scalar("SELECT MIN(claimed) FROM claims WHERE expires >= \(db.dialect.now())", as: Date?.self) ?? nil
        }
    }

    func leaseStates(_ db: SQLConnection) throws -> [String: LeaseState] {
        var states: [String: LeaseState] = [:]
        for row in try db.rows("SELECT key, host, pid, process_start, expires >= \(db.dialect.now()) AS live FROM claims") {
            states[try row.get("key")] = LeaseState(host: try row.get("host"), pid: try row.get("pid"),
                                                   processStart: try row.get("process_start"), live: try row.get("live"))
        }
        return states
    }
}

/// Keeps this process's claims alive: a background thread renews every held claim each third of the
/// lease, so a claim lapses only when its holder stops (killed, frozen, cut off from the database).
public final class LeaseKeeper: @unchecked Sendable {
    public let lease: TimeInterval
    private let lineage: LineageDatabase
    private let condition = NSCondition()
    private var held: [String: String] = [:]   // token → key
    private var lost: Set<String> = []          // keys whose claim lapsed and went to another process
    private var stopped = false
    private var thread: Thread?

    public init(lineage: LineageDatabase, lease: TimeInterval) {
        precondition(lease > 0, "a lease lasts some time")
        self.lineage = lineage
        self.lease = lease
        let thread = Thread { [weak self] in self?.renewUntilStopped() }
        thread.name = "tlab.lease"
        self.thread = thread
        thread.start()
    }

    /// Claims `key` and keeps the claim alive until `release`.
    public func claim(_ key: String) throws -> ClaimAttempt {
        let attempt = try lineage.claim(key, lease: lease)
        if case .claimed(let token) = attempt { condition.withLock { held[token] = key } }
        return attempt
    }

    /// Whether the claim `token` lapsed and another process took its key.
    public func wasLost(_ token: String) -> Bool {
        condition.withLock { held[token].map(lost.contains) ?? false }
    }

    public func release(_ key: String, token: String) {
        condition.withLock { _ = held.removeValue(forKey: token) }
        try? lineage.release(key, token: token)
    }

    /// Stops renewing and releases every claim still held.
    public func stop() {
        let remaining = condition.withLock { () -> [String: String] in
            stopped = true
            condition.broadcast()
            defer { held.removeAll() }
            return held
        }
        for (token, key) in remaining { try? lineage.release(key, token: token) }
    }

    deinit { condition.withLock { stopped = true; condition.broadcast() } }

    private func renewUntilStopped() {
        condition.lock()
        while !stopped {
            _ = condition.wait(until: Date().addingTimeInterval(lease / 3))
            guard !stopped else { break }
            let tokens = Array(held.keys)
            condition.unlock()
            // A failed renewal (database briefly unreachable) is retried next time; the lease is three
            // renewals long for that reason.
            let kept = try? lineage.renew(tokens: tokens, lease: lease)
            condition.lock()
            if let kept {
                for token in tokens where !kept.contains(token) { held[token].map { _ = lost.insert($0) } }
            }
        }
        condition.unlock()
    }
}
