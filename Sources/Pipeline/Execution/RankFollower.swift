// The ranks of an MPI job other than rank 0: they compute the shards of the training stages rank 0
// orders, reading inputs from the store through their own cache, and write nothing: rank 0 alone
// claims keys, records lineage and stores blobs (docs/distributed.md).
import Foundation
import MPITransport
import Store

/// A rank other than 0, following rank 0's orders until it says the run is over.
public struct RankFollower {
    public let plan: PipelinePlan
    public let world: MPIWorld

    let location: StoreLocation
    let patience: ServerPatience

    /// A follower of the store at `location`, which it opens at rank 0's first order (rank 0 may be
    /// creating it until then).
    public init(plan: PipelinePlan, location: StoreLocation, world: MPIWorld, patience: ServerPatience = ServerPatience()) {
        precondition(world.rank != 0, "rank 0 runs the Executor, not a follower")
        self.plan = plan
        self.world = world
        self.location = location
        self.patience = patience
    }

    /// The store's blobs (never its lineage database: the stages a follower runs need a lineage to
    /// be built, so it gets a throwaway one of its own in `folder`).
    private func openStore(lineageIn folder: URL) throws -> PipelineStore {
        let blobs: BlobStore
        switch location {
        case .folder(let root): blobs = try BlobStore.open(root: root, create: false)
        case .shared(let file):
            blobs = try file.blobs.open(create: false, cache: file.cache, cacheLimit: file.cacheMax,
                                        retryBudget: patience.retryBudget, outageNotice: patience.notice)
        }
        let lineage = try LineageDatabase(path: folder.appendingPathComponent(PipelineStore.lineageFile).path)
        return PipelineStore(blobs: blobs, lineage: lineage, location: location)
    }

    /// Computes each stage rank 0 orders; returns how many when rank 0 says the run is over. A stage
    /// that fails here stops the whole job (rank 0 would wait for this rank's shards forever).
    public func run() throws -> Int {
        // The throwaway lineage the stages' contexts write to is a locked scratch folder, so a later
        // run on this machine sweeps it when MPI_Abort ends this process before the defer runs.
        var lineageFolder: StageScratch?
        defer { lineageFolder?.remove() }
        var store: PipelineStore?
        var computed = 0
        while true {
            let order = try RankOrder.exchange(nil, over: world)
            guard let name = order.stage else { return computed }
            if store == nil {
                let folder = try StageScratch()
                lineageFolder = folder
                store = try openStore(lineageIn: folder.url)
            }
            guard let stage = plan.stages.first(where: { $0.name == name }) else {
                world.abort("rank 0 computes stage \(name), which this rank's plan of \(plan.name) does not have; "
                    + "every rank must run the same pipeline file with the same -S overrides")
            }
            do {
                try compute(stage, order, store!)
            } catch {
                world.abort("stage \(name) failed on this rank: \(error)")
            }
            computed += 1
        }
    }

    private func compute(_ stage: PlannedStage, _ order: RankOrder, _ store: PipelineStore) throws {
        let inputs = order.inputArtifacts
        let material = try KeyMaterial(stage: stage, inputs: inputs, store: store.root)
        guard material.key.hex == order.key else {
            world.abort("stage \(stage.name) has key \(material.key.short) here but \(order.key?.prefix(12) ?? "none") on rank 0; "
                + "every rank must run the same pipeline file, -S overrides and tlab version")
        }
        let scratch = try StageScratch()
        defer { scratch.remove() }
        let options = ExecutorOptions(quiet: true, ranks: world)
        let context = StageContext(stage: stage, pipeline: plan, runID: 0, stageRunID: 0, material: material, inputs: inputs,
                                   store: store, resumeFrom: order.resume, scratch: scratch.url, options: options,
                                   events: { _ in })
        _ = try store.blobs.holding(inputs.values.map(\.hash)) { try stage.kind.definition.execute(in: context) }
    }
}
