// YAML read with its alias expansion bounded: an anchor referenced through nested aliases makes a
// tree whose logical size is exponential in the file's, and everything that walks it (checking,
// error messages, key material) would pay that size. Such a document is refused before any walk.
import Yams

/// A YAML document that expands, through its aliases, to more values than `limit`.
struct YAMLExpansionError: Error, Equatable {
    let limit: Int

    /// What is wrong, for the caller to put after the file's name.
    var problem: String {
        "the YAML expands through its aliases (*name) to more than \(limit) values;"
            + " write the values out or use fewer nested aliases"
    }
}

enum BoundedYAML {
    /// The most values (scalars, lists and mappings, each alias counted as the values it stands
    /// for) a pipeline or store file may expand to. Real files have a few hundred.
    static let maxExpandedNodes = 100_000

    /// `Yams.compose`, refusing documents that expand beyond `limit` values. Composing itself shares an anchor's node among its aliases, so only the
    /// walk counted here could blow up, and it stops at the limit.
    static func compose(yaml: String, limit: Int = maxExpandedNodes) throws -> Node? {
        guard let node = try Yams.compose(yaml: yaml) else { return nil }
        var budget = limit
        guard fits(node, within: &budget) else { throw YAMLExpansionError(limit: limit) }
        return node
    }

    /// Counts `node`'s values against `budget`; false as soon as the budget is exhausted.
    private static func fits(_ node: Node, within budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let items): return items.allSatisfy { fits($0, within: &budget) }
        case .mapping(let pairs): return pairs.allSatisfy { fits($0.key, within: &budget) && fits($0.value, within: &budget) }
        }
    }
}
