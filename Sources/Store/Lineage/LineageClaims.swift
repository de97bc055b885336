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

/// A claim a stage computes under: its key and the token `claim` returned.
public struct StageClaim: Sendable, Equatable {
    public var key: String
    public var token: String

    public init(key: String, token: String) {
        self.key = key
        self.token = token
    }
}

/// The database's clock as one handle reads it for leases: the database's own clock plus an offset,
/// which is zero except in tests that let leases lapse by moving this handle's time forward rather
/// than by sleeping.
final class LeaseClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0

    /// Moves this handle's view of the time `seconds` forward.
    func advance(by seconds: TimeInterval) { lock.withLock { offset += seconds } }

    /// SQL for the database's time now plus this handle's offset plus `seconds`.
    func now(_ dialect: SQLDialect, plus seconds: TimeInterval = 0) -> String {
        dialect.now(plus: lock.withLock { offset } + seconds)
    }
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
            let now = leaseClock.now(db.dialect), expires = leaseClock.now(db.dialect, plus: lease)
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
                // This very claim, committed by an attempt whose acknowledgement was lost.
                if try row.get("token", as: String.self) == token { return .claimed(token: token) }
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
            Set(try db.column("""
                UPDATE claims SET expires = \(leaseClock.now(db.dialect, plus: lease))
                WHERE token IN (\(db.dialect.list(.text))) RETURNING token
                """, [try jsonList(tokens)], as: String.self))
        }
    }

    /// Gives up the claim `token` on `key` (if still ours), so a waiting process goes on at once.
    public func release(_ key: String, token: String) throws {
        try database.write { db in
            _ = try db.execute("DELETE FROM claims WHERE key = ? AND token = ?", [key, token])
        }
    }

    /// The live claim on `key`, if any.
    public func holder(of key: String) throws -> ClaimHolder? {
        try database.read { db in
            try db.row("SELECT * FROM claims WHERE key = ? AND expires >= \(leaseClock.now(db.dialect))", [key]).map { row in
                ClaimHolder(host: try row.get("host"), pid: try row.get("pid"), processStart: try row.get("process_start"),
                            claimed: try row.get("claimed"), expires: try row.get("expires"))
            }
        }
    }

    /// Every live claim, soonest to expire first, with the key it holds (a stage key, or `run:<id>`):
    /// what `tlab serve` shows of the work in progress on a shared store.
    public func liveClaims() throws -> [(key: String, holder: ClaimHolder)] {
        try database.read { db in
            try db.rows("SELECT * FROM claims WHERE expires >= \(leaseClock.now(db.dialect)) ORDER BY expires, key").map { row in
                (key: try row.get("key"),
                 holder: ClaimHolder(host: try row.get("host"), pid: try row.get("pid"),
                                     processStart: try row.get("process_start"), claimed: try row.get("claimed"),
                                     expires: try row.get("expires")))
            }
        }
    }

    /// When the oldest live claim was taken: whatever a claim holder has written to the blob store
    /// since is not recorded yet, so gc spares unrecorded blobs younger than that.
    public func oldestLiveClaim() throws -> Date? {
        try database.read { db in
            try db.scalar("SELECT MIN(claimed) FROM claims WHERE expires >= \(leaseClock.now(db.dialect))", as: Date?.self) ?? nil
        }
    }

    /// Whether `claim` is still this process's, with its row locked until the transaction ends, so no
    /// other process can take the key between this check and the commit.
    func stillHeld(_ db: SQLConnection, _ claim: StageClaim) throws -> Bool {
        try db.row("SELECT 1 FROM claims WHERE key = ? AND token = ?\(db.dialect.lockingRead)", [claim.key, claim.token]) != nil
    }

    func leaseStates(_ db: SQLConnection) throws -> [String: LeaseState] {
        var states: [String: LeaseState] = [:]
        for row in try db.rows("SELECT key, host, pid, process_start, expires >= \(leaseClock.now(db.dialect)) AS live FROM claims") {
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

    /// Renews every claim held now. A failed renewal (database briefly unreachable) is retried at the
    /// next beat; the lease is three beats long for that reason. A claim that lapsed and went to
    /// another process is found out when its stage commits (`finishStageRun`'s `claim`).
    func renewHeld() {
        let tokens = condition.withLock { Array(held.keys) }
        _ = try? lineage.renew(tokens: tokens, lease: lease)
    }

    private func renewUntilStopped() {
        condition.lock()
        while !stopped {
            _ = condition.wait(until: Date().addingTimeInterval(lease / 3))
            guard !stopped else { break }
            condition.unlock()
            renewHeld()
            condition.lock()
        }
        condition.unlock()
    }
}
