// One stage computed again, compared output by output with what lineage recorded for it: the verdict
// of a `--force`d stage in `tlab run`, and one line of a reproduction certificate.
import Foundation
import Store

struct Recomputation {
    /// Outputs whose bytes differ, in output name order.
    let differences: [ArtifactDifference]
    /// Outputs only one of the two has.
    let unmatched: [String]
    /// The run that recorded the result compared with.
    let recordedRun: Int64

    var identical: Bool { differences.isEmpty && unmatched.isEmpty }

    /// Compares `outputs` (name → hash in `recomputedBlobs`) with the outputs of `recorded` (in `recordedBlobs`).
    init(recorded: StageRunDetail, outputs: [String: ArtifactRecord], recordedBlobs: BlobStore, recomputedBlobs: BlobStore) {
        recordedRun = recorded.record.runID
        unmatched = Set(recorded.outputs.keys).symmetricDifference(outputs.keys).sorted()
        differences = outputs.keys.sorted().compactMap { name in
            guard let old = recorded.outputs[name], let new = outputs[name], old != new.hash else { return nil }
            guard let a = try? recordedBlobs.read(old), let b = try? recomputedBlobs.read(new.hash) else {
                return ArtifactDifference(output: name, tensor: nil, largestAbsoluteDifference: nil,
                                          detail: "the recorded blob \(old.prefix(12)) cannot be read")
            }
            return ArtifactComparison.difference(output: name, recorded: a, recomputed: b, mediaType: new.mediaType)
        }
    }

    /// A forced stage's outputs against the result of the same key recorded in the same store.
    init(recorded: StageRunDetail, outputs: [String: ArtifactRecord], store: PipelineStore) {
        self.init(recorded: recorded, outputs: outputs, recordedBlobs: store.blobs, recomputedBlobs: store.blobs)
    }

    /// "reproduced bit-identically the result run 3 recorded", or the first difference and how many more.
    var sentence: String {
        guard !identical else { return "reproduced bit-identically the result run \(recordedRun) recorded" }
        var parts = differences.prefix(1).map(\.description)
        if differences.count > 1 { parts.append("\(differences.count - 1) more output\(differences.count == 2 ? "" : "s") differ") }
        if !unmatched.isEmpty { parts.append("outputs only one of them has: " + unmatched.joined(separator: ", ")) }
        return "differs from the result run \(recordedRun) recorded: " + parts.joined(separator: "; ")
    }
}
