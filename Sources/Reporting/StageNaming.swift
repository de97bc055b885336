// How copies of a file's stage are named, and how a listing shows the seed copies of one stage as
// one entry: `finetune@frozen#2` is seed 2 of variant frozen's copy of `finetune`, and its seeds 1, 2
// and 3 together are `finetune@frozen#{1,2,3}`; `finetune@frozen~11#2` is the same on the backbone
// pretrained with seed 11 (`pretrain_seeds`).

public enum StageNaming {
    /// `template`, then `@variant`, `~pretrain-seed` and `#seed` where the copy has them. File stage
    /// and variant names use none of `@`, `~` and `#`, so the parts always read back.
    public static func name(template: String, variant: String?, backbone: Int? = nil, seed: Int?) -> String {
        template + (variant.map { "@" + $0 } ?? "") + (backbone.map { "~\($0)" } ?? "") + (seed.map { "#\($0)" } ?? "")
    }

    /// The parts of a copy's name: its file stage, variant, pretraining seed and seed.
    public static func parts(_ name: String) -> (template: String, variant: String?, backbone: Int?, seed: Int?) {
        var (rest, seed) = split(name)
        var backbone: Int?
        if let tilde = rest.lastIndex(of: "~"), let value = Int(rest[rest.index(after: tilde)...]) {
            (rest, backbone) = (String(rest[..<tilde]), value)
        }
        let pieces = rest.split(separator: "@", maxSplits: 1).map(String.init)
        return (pieces.first ?? rest, pieces.count > 1 ? pieces[1] : nil, backbone, seed)
    }

    /// The name without its seed (the group of all seeds' copies), and the seed; the name itself and
    /// nil for a stage that is not repeated.
    public static func split(_ name: String) -> (group: String, seed: Int?) {
        guard let hash = name.lastIndex(of: "#"), let seed = Int(name[name.index(after: hash)...]) else { return (name, nil) }
        return (String(name[..<hash]), seed)
    }

    /// One label for a group's seeds: `finetune@frozen#{1,2,3}`; `finetune@frozen#2` for one seed;
    /// the group alone when it has none.
    public static func label(group: String, seeds: [Int]) -> String {
        switch seeds.count {
        case 0: return group
        case 1: return "\(group)#\(seeds[0])"
        default: return "\(group)#{" + seeds.map(String.init).joined(separator: ",") + "}"
        }
    }

    /// `names` with the seed copies of each group gathered at the group's first appearance, in order.
    public static func grouped(_ names: [String]) -> [(group: String, seeds: [Int])] {
        var groups = [(group: String, seeds: [Int])]()
        for name in names {
            let (group, seed) = split(name)
            if let index = groups.firstIndex(where: { $0.group == group }) {
                if let seed, !groups[index].seeds.contains(seed) { groups[index].seeds.append(seed) }
            } else {
                groups.append((group, seed.map { [$0] } ?? []))
            }
        }
        return groups
    }

    /// `names` as labels, seed copies gathered: `["prep", "finetune@frozen#{1,2,3}"]`.
    public static func labels(_ names: [String]) -> [String] {
        grouped(names).map { label(group: $0.group, seeds: $0.seeds) }
    }
}
