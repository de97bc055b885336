// One stage inside a run: compute its key, reuse a cached result whose outputs are there or compute and record it,
// and say why it had to compute.
import Engine
import Foundation
import MPITransport
import Store

/// How an attempt at a stage ended.
enum StageAttempt {
    /// The stage ended (hit, computed or failed) with these outputs (nil when it failed).
    case done(StageSummary, [String: String]?)
    /// Another live process holds the stage's key: look again later.
    case claimedElsewhere(ClaimHolder, key: String)
    /// The stage failed because a read found blobs of these producers' outputs missing or damaged
    /// (`hashes`): the producers must compute again, then the stage.
    case inputsUnusable(producers: Set<String>, hashes: [String])
}

extension Executor {
    /// Runs `stage` on `inputs` within run `runID`: a cache hit, or, once its key is claimed, a
    /// computation. Never throws: a failure is recorded and reported.
    func execute(_ stage: PlannedStage, inputs: [String: InputArtifact], runID: Int64, leases: LeaseKeeper,
                 interruption: InterruptHandler?) -> StageAttempt {
        let started = DispatchTime.now()
        let material: KeyMaterial
        do {
            material = try KeyMaterial(stage: stage, inputs: inputs, store: store.root)
        } catch {
            events(.stageFailed(stage: stage.name, error: "\(error)"))
            return .done(StageSummary(name: stage.name, kind: stage.kind, key: nil, state: .failed(error: "\(error)"), seconds: 0), nil)
        }
        let key = material.key
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        func summary(_ state: StageSummary.State) -> StageSummary {
            StageSummary(name: stage.name, kind: stage.kind, key: key.hex, state: state, seconds: elapsed())
        }
        func fail(_ error: Error) -> StageAttempt {
            let text = "\(error)"
            events(.stageFailed(stage: stage.name, error: text))
            return .done(summary(.failed(error: text)), nil)
        }
        func hit(_ source: StageRunDetail) -> StageAttempt {
            events(.stageStarted(stage: stage.name, keyPrefix: key.short, reason: "cached"))
            do {
                _ = try store.lineage.recordCacheHit(runID: runID, stage: stage.name, from: source, seconds: elapsed())
            } catch {
                return fail(error)
            }
            let result = summary(.hit)
            events(.stageFinished(stage: stage.name, outcome: .hit, seconds: result.seconds))
            return .done(result, source.outputs)
        }

        var cache: CacheLookup
        let token: String
        // A forced stage is compared with the result it recomputes, when one is recorded.
        var recorded: StageRunDetail?
        do {
            cache = isForced(stage) ? .forced : try lookUp(key)
            if case .forced = cache, case .reusable(let earlier)? = try? lookUp(key) { recorded = earlier }
            if case .reusable(let source) = cache { return hit(source) }
            switch try leases.claim(key.hex) {
            case .held(let holder): return .claimedElsewhere(holder, key: key.hex)
            case .claimed(let claimed): token = claimed
            }
        } catch {
            return fail(error)
        }
        defer { leases.release(key.hex, token: token) }
        // Another process may have finished the key between the lookup and the claim.
        if cache != .forced {
            do {
                cache = try lookUp(key)
            } catch {
                return fail(error)
            }
            if case .reusable(let source) = cache { return hit(source) }
        }

        let reasons = (try? whyRun(stage, material: material, cache: cache)) ?? ["lineage unreadable"]
        events(.stageStarted(stage: stage.name, keyPrefix: key.short, reason: reasons.joined(separator: "; ")))
        let record: StageRunRecord
        do {
            record = try store.lineage.startStageRun(runID: runID, key: key.hex, stage: stage.name, kind: stage.kind.rawValue,
                                                     params: stage.parameters.json, material: material.json)
        } catch {
            return fail(error)
        }
        let stageRunID = record.id!
        let scratchFolder: StageScratch
        do {
            scratchFolder = try StageScratch()
        } catch {
            try? store.lineage.failStageRun(stageRunID, error: "\(error)", seconds: elapsed())
            return fail(error)
        }
        defer { scratchFolder.remove() }
        let scratch = scratchFolder.url
        interruption?.began(stageRunID, scratch: scratch)
        defer { interruption?.ended(stageRunID) }
        /// The process that took the key has recorded it (a cache hit now) or is still computing it.
        func afterLosingTheClaim() -> StageAttempt {
            do {
                if case .reusable(let source) = try lookUp(key) { return hit(source) }
                if let holder = try store.lineage.holder(of: key.hex) { return .claimedElsewhere(holder, key: key.hex) }
                return fail(LineageError.claimLost(key: key.hex, stageRun: stageRunID))
            } catch {
                return fail(error)
            }
        }
        // The MPI job's other ranks while they compute this stage with this process: a failure then
        // must stop them too, or they would wait for this rank's shards forever.
        var orderedRanks: MPIWorld?
        var exchangedBefore = (gathers: 0, bytes: 0)
        func stopOrderedRanks(_ error: Error) {
            orderedRanks?.abort("stage \(stage.name) failed on rank 0: \(error). The other ranks were computing it with "
                + "rank 0, so the job stops; run the same command again to resume from the stage's last checkpoint")
        }
        do {
            let resume = try stage.kind.traits.contains(.trains) ? store.lineage.latestCheckpoint(key: key.hex)
                .map { ResumePoint(hash: $0.artifactHash, step: $0.step) } : nil
            if let resume {
                events(.message(stage: stage.name, text: "resuming from the checkpoint after epoch \(resume.step)"))
            }
            if let world = options.ranks, world.size > 1, stage.computedByEveryRank, let shards = stage.shards {
                // More ranks than shards fails here, before any rank is told anything.
                _ = try shardBlock(process: 0, processCount: world.size, shardCount: shards)
                _ = try RankOrder.exchange(RankOrder(stage: stage, key: key, inputs: inputs, resume: resume), over: world)
                orderedRanks = world
                exchangedBefore = (world.gathers, world.bytesReceived)
            }
            let context = StageContext(stage: stage, pipeline: plan, runID: runID, stageRunID: stageRunID, material: material,
                                       inputs: inputs, store: store, resumeFrom: resume, scratch: scratch,
                                       options: options, events: events)
            // A capped cache keeps the stage's inputs while it runs.
            let result = try store.blobs.holding(inputs.values.map(\.hash)) { try stage.kind.definition.execute(in: context) }
            // The other ranks have finished the stage too and wait for the next order.
            if let world = orderedRanks {
                let megabytes = Double(world.bytesReceived - exchangedBefore.bytes) / 1e6
                events(.message(stage: stage.name, text: "computed by \(world.size) ranks, shards \(stage.shards ?? 1): rank 0 received "
                    + String(format: "%.1f MB", megabytes) + " in \(world.gathers - exchangedBefore.gathers) all-gathers"))
            }
            orderedRanks = nil
            var artifacts: [String: ArtifactRecord] = [:]
            for (name, output) in result.outputs {
                artifacts[name] = ArtifactRecord(blob: try output.put(into: store.blobs), mediaType: output.mediaType)
            }
            // The blobs are durable (fsynced) before the one transaction that makes them visible.
            // Committed only while the claim is still ours: a holder frozen past its lease whose key
            // another process took records nothing, so each key is committed at most once.
            try store.lineage.finishStageRun(stageRunID, inputs: inputs.mapValues(\.hash), outputs: artifacts,
                                             metrics: result.metrics, seconds: elapsed(),
                                             claim: StageClaim(key: key.hex, token: token))
            let done = summary(.computed)
            events(.stageFinished(stage: stage.name, outcome: .computed, seconds: done.seconds))
            if let recorded {
                let verdict = Recomputation(recorded: recorded, outputs: artifacts, store: store)
                events(.reproduction(stage: stage.name, identical: verdict.identical, text: verdict.sentence))
            }
            return .done(done, artifacts.mapValues(\.hash))
        } catch let lost as LineageError {
            try? store.lineage.failStageRun(stageRunID, error: "\(lost)", seconds: elapsed())
            stopOrderedRanks(lost)
            guard case .claimLost = lost else { return fail(lost) }
            events(.message(stage: stage.name, text: "\(lost); this run uses that process's result"))
            return afterLosingTheClaim()
        } catch {
            try? store.lineage.failStageRun(stageRunID, error: "\(error)", seconds: elapsed())
            stopOrderedRanks(error)
            // Cache hits check only that blobs are there; the reads check their bytes. A blob a read
            // found damaged is the producer's to recompute, wherever the error surfaced.
            let unusable = inputs.values.filter { store.blobs.readFoundUnusable($0.hash) }
            guard unusable.isEmpty else {
                let hashes = unusable.map(\.hash).sorted()
                events(.message(stage: stage.name, text: "an input is missing or damaged (\(hashes.map { $0.prefix(12) }.joined(separator: ", "))): "
                    + "recomputing \(Set(unusable.map(\.stage)).sorted().joined(separator: ", ")), then this stage"))
                return .inputsUnusable(producers: Set(unusable.map(\.stage)), hashes: hashes)
            }
            return fail(error)
        }
    }

    /// What the cache holds for a key.
    enum CacheLookup: Equatable {
        case reusable(StageRunDetail)
        /// A finished run of the key exists, but output `output` (`hash`) is missing or damaged.
        case damaged(output: String, hash: String, check: BlobCheck)
        case absent
        case forced
    }

    /// The newest finished run of `key`, if every output blob is present (`BlobStore.presence`: a stat
    /// per output, so a hit costs the same whatever the bytes; with `options.verifyOutputs`, each is
    /// read and re-hashed). Whatever a hit does not check, the reads of its outputs do: a consumer
    /// that finds one damaged makes this stage compute again in the same run.
    func lookUp(_ key: StageKey) throws -> CacheLookup {
        guard let cached = try store.lineage.cachedStageRun(key: key.hex) else { return .absent }
        for (output, hash) in cached.outputs.sorted(by: { $0.key < $1.key }) {
            let check = options.verifyOutputs ? store.blobs.verify(hash) : store.blobs.presence(hash)
            if check != .intact { return .damaged(output: output, hash: hash, check: check) }
        }
        return .reusable(cached)
    }

    /// Why a stage that is not a cache hit computes, in the user's terms.
    func whyRun(_ stage: PlannedStage, material: KeyMaterial, cache: CacheLookup) throws -> [String] {
        switch cache {
        case .forced: return ["forced"]
        case let .damaged(output, hash, check):
            let state = check == .missing ? "missing from the store" : "damaged"
            return ["cached output \(output) (\(hash.prefix(12))) is \(state)"]
        case .reusable, .absent: break
        }
        guard let latest = try store.lineage.latestStageRun(stage: stage.name, pipeline: plan.name) else { return ["never run"] }
        guard let json = latest.record.material, let previous = try? KeyMaterial(json: json) else {
            return ["its last run recorded no key material"]
        }
        let changes = material.changes(since: previous)
        return changes.isEmpty ? ["the outputs of its last run are no longer in the store"] : changes.map(\.description)
    }
}
