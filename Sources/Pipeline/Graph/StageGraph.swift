// The stage DAG: stages as nodes in declaration order, edges from each input's stage to its
// consumer; topological order, cycle finding and reachability, all deterministic.

/// A directed graph of named stages. Edges point the way data flows: producer → consumer.
public struct StageGraph: Sendable {
    /// One labelled edge: `from` feeds input `port` of `to`.
    public struct Edge: Hashable, Sendable {
        public let from: String
        public let to: String
        public let port: String
    }

    /// Stage names in declaration order, the tie-break wherever an order is free.
    public let names: [String]
    public let edges: [Edge]
    private let index: [String: Int]
    private let producers: [[Int]]
    private let consumers: [[Int]]

    /// A graph over `names`; edges naming a stage not in `names` are ignored (the caller reports
    /// them as missing inputs).
    init(names: [String], edges: [Edge]) {
        self.names = names
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.index = index
        self.edges = edges.filter { index[$0.from] != nil && index[$0.to] != nil }
        var producers = Array(repeating: [Int](), count: names.count)
        var consumers = producers
        for edge in self.edges {
            let from = index[edge.from]!, to = index[edge.to]!
            if !producers[to].contains(from) { producers[to].append(from) }
            if !consumers[from].contains(to) { consumers[from].append(to) }
        }
        self.producers = producers.map { $0.sorted() }
        self.consumers = consumers.map { $0.sorted() }
    }

    /// Every stage after all of its producers; among stages ready at the same time, the one declared
    /// first goes first. Nil when there is a cycle.
    public func topologicalOrder() -> [String]? {
        var waiting = producers.map(\.count)
        var ready = Set(waiting.indices.filter { waiting[$0] == 0 })
        var order = [String]()
        while let next = ready.min() {
            ready.remove(next)
            order.append(names[next])
            for consumer in consumers[next] {
                waiting[consumer] -= 1
                if waiting[consumer] == 0 { ready.insert(consumer) }
            }
        }
        return order.count == names.count ? order : nil
    }

    /// The stages of one cycle in data-flow order, starting at the earliest declared of them, or
    /// nil when the graph is acyclic.
    public func cycle() -> [String]? {
        var state = Array(repeating: 0, count: names.count)  // 0 unseen, 1 on the path, 2 done
        var path = [Int]()
        func visit(_ node: Int) -> [Int]? {
            state[node] = 1
            path.append(node)
            for next in consumers[node] {
                if state[next] == 1 { return Array(path[path.firstIndex(of: next)!...]) }
                if state[next] == 0, let found = visit(next) { return found }
            }
            path.removeLast()
            state[node] = 2
            return nil
        }
        for start in names.indices where state[start] == 0 {
            if let found = visit(start) {
                let first = found.firstIndex(of: found.min()!)!
                return (found[first...] + found[..<first]).map { names[$0] }
            }
        }
        return nil
    }

    /// The stages whose outputs `name` depends on, directly or not, in declaration order.
    public func upstream(of name: String) -> [String] { reachable(from: name, along: producers) }

    /// The stages that depend on `name`'s outputs, directly or not, in declaration order.
    public func downstream(of name: String) -> [String] { reachable(from: name, along: consumers) }

    /// The stages feeding `name` directly, in declaration order.
    public func producers(of name: String) -> [String] {
        index[name].map { producers[$0].map { names[$0] } } ?? []
    }

    private func reachable(from name: String, along next: [[Int]]) -> [String] {
        guard let start = index[name] else { return [] }
        var seen = Set<Int>(), stack = next[start]
        while let node = stack.popLast() {
            guard seen.insert(node).inserted else { continue }
            stack.append(contentsOf: next[node])
        }
        return seen.sorted().map { names[$0] }
    }

    /// The length of the longest producer chain ending at each stage (0 for stages with no inputs).
    func depths() -> [String: Int] {
        var depth = [Int: Int]()
        for name in topologicalOrder() ?? names {
            let node = index[name]!
            depth[node] = producers[node].map { (depth[$0] ?? 0) + 1 }.max() ?? 0
        }
        return Dictionary(uniqueKeysWithValues: depth.map { (names[$0.key], $0.value) })
    }
}
