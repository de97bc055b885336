// Several "machines" on one box for tests: a network namespace per machine, joined to the host by a
// veth pair with addresses in a private /24 of its own, so its processes reach a server on the host
// side over a real network path. Needs root and iproute2; `create` returns nil (with the reason)
// where namespaces cannot be made, and the caller falls back to loopback.
import Foundation

public final class TestNetwork: @unchecked Sendable {
    public struct Machine: Sendable {
        public let namespace: String
        /// The host side of its link: where a server on the host listens for it.
        public let hostAddress: String
        public let address: String
    }

    public let machines: [Machine]
    private var destroyed = false

    private init(machines: [Machine]) { self.machines = machines }

    /// `count` namespaces, or nil and why not.
    public static func create(count: Int) -> (TestNetwork?, String?) {
        guard getuid() == 0 else { return (nil, "network namespaces need root") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return (nil, "iproute2 (ip) is not installed") }
        let tag = String(UInt32.random(in: 0..<0xFFFFFF), radix: 36)
        var machines: [Machine] = []
        do {
            for index in 0..<count {
                let octet = Int.random(in: 10...250)
                let namespace = "tlab-\(tag)-\(index)"
                let host = "tl\(tag)h\(index)", peer = "tl\(tag)c\(index)"
                let machine = Machine(namespace: namespace, hostAddress: "10.231.\(octet).1", address: "10.231.\(octet).2")
                machines.append(machine)
                try ip(["netns", "add", namespace])
                try ip(["link", "add", host, "type", "veth", "peer", "name", peer])
                try ip(["link", "set", peer, "netns", namespace])
                try ip(["addr", "add", "\(machine.hostAddress)/24", "dev", host])
                try ip(["link", "set", host, "up"])
                try ip(["netns", "exec", namespace, "ip", "addr", "add", "\(machine.address)/24", "dev", peer])
                try ip(["netns", "exec", namespace, "ip", "link", "set", peer, "up"])
                try ip(["netns", "exec", namespace, "ip", "link", "set", "lo", "up"])
            }
        } catch {
            TestNetwork(machines: machines).destroy()
            return (nil, "could not create network namespaces: \(error)")
        }
        return (TestNetwork(machines: machines), nil)
    }

    /// `argv` run inside machine `index`'s namespace, as a host of its own name (`machine-<index>`):
    /// its UTS namespace is its own too, so lineage sees another host.
    public func command(_ index: Int, _ argv: [String]) -> [String] {
        ["/usr/sbin/ip", "netns", "exec", machines[index].namespace] + Self.asHost("machine-\(index)", argv)
    }

    /// `argv` run as a host named `name` (a UTS namespace of its own), on this host's network.
    public static func asHost(_ name: String, _ argv: [String]) -> [String] {
        ["/usr/bin/unshare", "--uts", "/bin/sh", "-c", "hostname \(name) && exec \"$0\" \"$@\""] + argv
    }

    /// Deletes the namespaces (and with them the veth pairs); later calls do nothing.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        for machine in machines { _ = try? Self.ip(["netns", "delete", machine.namespace]) }
    }

    deinit { destroy() }

    private static func ip(_ arguments: [String]) throws { try runProcess("/usr/sbin/ip", arguments) }
}
