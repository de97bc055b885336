// What rank 0 of an MPI job tells the other ranks: before each stage they compute together, which
// stage, on which inputs, from which checkpoint; at the end, that the run is over. The other ranks
// build the same plan from the same command line, so a stage name and its inputs are enough, and
// the key is sent only to check that they did.
import Foundation
import MPITransport

/// One message from rank 0 to the others.
struct RankOrder: Codable, Equatable {
    /// The stage to compute together; nil: the run is over.
    var stage: String?
    /// Its key, as rank 0 computed it.
    var key: String?
    /// Input name → producing stage and content hash.
    var inputs: [String: OrderedInput]?
    var resume: ResumePoint?

    struct OrderedInput: Codable, Equatable {
        var stage: String
        var hash: String
    }

    static let finished = RankOrder(stage: nil, key: nil, inputs: nil, resume: nil)

    init(stage: String?, key: String?, inputs: [String: OrderedInput]?, resume: ResumePoint?) {
        self.stage = stage
        self.key = key
        self.inputs = inputs
        self.resume = resume
    }

    init(stage: PlannedStage, key: StageKey, inputs: [String: InputArtifact], resume: ResumePoint?) {
        self.init(stage: stage.name, key: key.hex, inputs: inputs.mapValues { OrderedInput(stage: $0.stage, hash: $0.hash) },
                  resume: resume)
    }

    var inputArtifacts: [String: InputArtifact] {
        (inputs ?? [:]).mapValues { InputArtifact(stage: $0.stage, hash: $0.hash) }
    }

    /// Sends this order from rank 0 (`world.rank == 0`), or waits for rank 0's and returns it.
    static func exchange(_ order: RankOrder?, over world: MPIWorld) throws -> RankOrder {
        let bytes = try world.broadcast(order.map { Array(try JSONEncoder().encode($0)) } ?? [])
        return try JSONDecoder().decode(RankOrder.self, from: Data(bytes))
    }
}

/// The checkpoint a training stage resumes from: its blob and the epochs it covers.
struct ResumePoint: Codable, Equatable {
    var hash: String
    var step: Int
}

extension PlannedStage {
    /// Shards per batch when the stage's kind splits batches (`shards`), else nil.
    var shards: Int? {
        if case .int(let count)? = parameters["shards"] { return count }
        return nil
    }

    /// Whether every rank of an MPI job computes this stage (a training stage, each rank its shards);
    /// every other stage rank 0 computes alone, as does a pretrain that imports its weights (it trains nothing).
    var computedByEveryRank: Bool {
        kind.traits.contains(.trains) && shards != nil && !(kind == .pretrain && parameters["weights"] != nil)
    }
}
