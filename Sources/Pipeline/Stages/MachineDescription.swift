// The machine a stage ran on, for evaluations and the report's provenance: cores, CPU model, OS.
import Foundation
import Reporting

extension Machine {
    /// This machine: active cores, the CPU model from /proc/cpuinfo, the OS from /etc/os-release.
    static var current: Machine {
        Machine(cores: ProcessInfo.processInfo.activeProcessorCount,
                cpuModel: field("model name", in: "/proc/cpuinfo", separator: ":") ?? "unknown CPU",
                operatingSystem: field("PRETTY_NAME", in: "/etc/os-release", separator: "=")
                    ?? ProcessInfo.processInfo.operatingSystemVersionString)
    }

    /// The value of the first `name<separator>value` line of `file`, unquoted.
    private static func field(_ name: String, in file: String, separator: Character) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: separator, maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
            return parts[1].trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\"")))
        }
        return nil
    }
}
