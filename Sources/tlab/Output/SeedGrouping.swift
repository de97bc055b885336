// Listings that would show a stage once per seed (status, a certificate, a lineage tree) show the
// copies that say the same thing as one row, `finetune@frozen#{1,2,3}`, so many seeds do not drown
// the few stages that differ.
import Pipeline
import Reporting

enum SeedGrouping {
    /// `items` in order, consecutive seed copies of one stage gathered when `text` of each, with its
    /// own seed written as `#·`, is the same. Each row has a label naming its seeds and its members.
    static func rows<T>(_ items: [T], name: (T) -> String, text: (T) -> String) -> [(label: String, members: [T])] {
        var groups = [(group: String, seeds: [Int], text: String, members: [T])]()
        for item in items {
            let (group, seed) = StageNaming.split(name(item))
            let own = seed.map { seedless(text(item), seed: $0) } ?? text(item)
            if let seed, let last = groups.last, last.group == group, !last.seeds.isEmpty, last.text == own {
                groups[groups.count - 1].seeds.append(seed)
                groups[groups.count - 1].members.append(item)
            } else {
                groups.append((group, seed.map { [$0] } ?? [], own, [item]))
            }
        }
        return groups.map { (StageNaming.label(group: $0.group, seeds: $0.seeds), $0.members) }
    }

    /// `text` of a group's first member with its seed replaced by the group's seeds: "upstream stage
    /// finetune@frozen#{1,2,3} will run".
    static func text(_ text: String, seed: Int?, seeds: [Int]) -> String {
        guard let seed else { return text }
        let label = StageNaming.label(group: "", seeds: seeds)
        return seedless(text, seed: seed).replacingOccurrences(of: "#\u{B7}", with: label)
    }

    /// `text` with `#seed` (not followed by another digit) written as `#·`.
    private static func seedless(_ text: String, seed: Int) -> String {
        text.replacingOccurrences(of: "#\(seed)(?![0-9])", with: "#\u{B7}", options: .regularExpression)
    }
}
