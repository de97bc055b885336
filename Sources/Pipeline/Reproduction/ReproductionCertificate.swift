// The reproduction certificate: per stage, whether its outputs came out bit-identical when computed
// again, and where not, what differs; which engine and machine recorded them and which computed them
// again. As text for the terminal and as Markdown to keep beside a report.
import Engine
import Foundation
import Reporting
import Store

/// One stage computed again.
public struct StageReproduction: Sendable {
    public enum Verdict: Sendable {
        case identical
        /// A report: its model matches once measured times and the run's provenance are set aside.
        case identicalApartFromMeasurements
        case differs([ArtifactDifference], unmatched: [String])
        /// It could not be computed again (the reason as the run reported it).
        case failed(String)
    }

    public let stage: String
    public let kind: StageKind
    /// The engine version in the recorded stage's key.
    public let recordedEngine: Int
    public let outputs: Int
    public let verdict: Verdict

    init(stage: RecordedStage, verdict: Verdict) {
        self.stage = stage.name
        kind = stage.material.kind
        recordedEngine = stage.material.engineVersion
        outputs = stage.detail.outputs.count
        self.verdict = verdict
    }

    public var reproduced: Bool {
        switch verdict {
        case .identical, .identicalApartFromMeasurements: return true
        case .differs, .failed: return false
        }
    }

    /// The verdict in a few words; `copies` stages of the same verdict share it.
    public func summary(copies: Int = 1) -> String {
        switch verdict {
        case .identical: return "bit-identical (\(outputs) output\(outputs == 1 ? "" : "s")\(copies > 1 ? " each" : ""))"
        case .identicalApartFromMeasurements:
            return "identical apart from measured times and the run's provenance"
        case let .differs(differences, unmatched):
            var parts = differences.map(\.description)
            if !unmatched.isEmpty { parts.append("outputs only one of them has: " + unmatched.joined(separator: ", ")) }
            return "DIFFERS: " + parts.joined(separator: "; ")
        case let .failed(reason): return "NOT COMPUTED: \(reason)"
        }
    }
}

/// Everything `tlab reproduce` found.
public struct ReproductionCertificate: Sendable {
    public let pipeline: String
    public let scope: ReproductionScope
    public let recordedRun: RunRecord
    public let stages: [StageReproduction]
    /// The machine the recorded report names, when the lineage has a report.
    public let recordedMachine: Machine?
    public let recordedHosts: [String]
    public let currentMachine: Machine
    public let currentHost: String
    public let currentEngine: Int
    public let currentTool: String
    public let date: Date

    /// Whether every stage reproduced.
    public var reproduced: Bool { stages.allSatisfy(\.reproduced) }

    private var recordedEngines: String {
        var engines = [Int]()
        for stage in stages where !engines.contains(stage.recordedEngine) { engines.append(stage.recordedEngine) }
        return engines.map(String.init).joined(separator: ", ")
    }

    private var target: String {
        switch scope {
        case .run(let id): return "run \(id)"
        case .artifacts(let hashes):
            return "the lineage of artifact" + (hashes.count == 1 ? " " : "s ") + hashes.map { String($0.prefix(12)) }.joined(separator: ", ")
        }
    }

    private var verdictLine: String {
        let good = stages.filter(\.reproduced).count
        return reproduced ? "All \(stages.count) stages reproduced."
            : "\(stages.count - good) of \(stages.count) stages did not reproduce."
    }

    private func describe(_ machine: Machine?, host: String) -> String {
        guard let machine else { return "host \(host)" }
        return "host \(host), \(machine.cores) cores, \(machine.cpuModel), \(machine.operatingSystem)"
    }

    /// One row per stage, the seed copies of one stage together when each reproduced bit for bit.
    private var rows: [(label: String, kind: StageKind, summary: String)] {
        var rows = [(group: String, seeds: [Int], stage: StageReproduction)]()
        for stage in stages {
            let (group, seed) = StageNaming.split(stage.stage)
            if let seed, let last = rows.last, last.group == group, case .identical = stage.verdict,
               case .identical = last.stage.verdict, last.stage.outputs == stage.outputs {
                rows[rows.count - 1].seeds.append(seed)
            } else {
                rows.append((group, seed.map { [$0] } ?? [], stage))
            }
        }
        return rows.map { row in
            let engine = row.stage.recordedEngine == currentEngine ? "" : " (recorded with engine \(row.stage.recordedEngine))"
            return (StageNaming.label(group: row.group, seeds: row.seeds), row.stage.kind,
                    row.stage.summary(copies: max(1, row.seeds.count)) + engine)
        }
    }

    /// For the terminal: a header, one line per stage, the verdict.
    public var text: String {
        var lines = [
            "reproduction of \(target) (pipeline \(pipeline), recorded by run \(recordedRun.id ?? 0) of "
                + "\(ReportNumberText.isoDate(recordedRun.started)))",
            "recorded: engine \(recordedEngines), tlab \(recordedRun.toolVersion), "
                + describe(recordedMachine, host: recordedHosts.joined(separator: ", ")),
            "now:      engine \(currentEngine), tlab \(currentTool), " + describe(currentMachine, host: currentHost),
        ]
        let rows = self.rows
        let width = rows.map(\.label.count).max() ?? 0
        for row in rows {
            lines.append(row.label.padding(toLength: width + 2, withPad: " ", startingAt: 0) + row.summary)
        }
        lines.append(verdictLine)
        return lines.joined(separator: "\n") + "\n"
    }

    /// For a reader of the report: the same as a Markdown document.
    public var markdown: String {
        var out = ["# Reproduction certificate: \(pipeline)", "",
                   "\(reproduced ? "**Reproduced.**" : "**Not reproduced.**") \(verdictLine) Every stage of "
                    + "\(target) was computed again from its recorded inputs in an empty store on "
                    + "\(ReportNumberText.isoDate(date)), and its outputs compared byte for byte with the recorded ones "
                    + "(a report's model without its measured times and provenance, which differ between identical runs).",
                   "",
                   "| | engine | tlab | machine |", "| --- | --: | --- | --- |",
                   "| recorded (run \(recordedRun.id ?? 0), \(ReportNumberText.isoDate(recordedRun.started))) | "
                    + "\(recordedEngines) | \(recordedRun.toolVersion) | "
                    + "\(describe(recordedMachine, host: recordedHosts.joined(separator: ", "))) |",
                   "| reproduced | \(currentEngine) | \(currentTool) | \(describe(currentMachine, host: currentHost)) |",
                   "", "| stage | kind | result |", "| --- | --- | --- |"]
        for row in rows {
            out.append("| \(row.label) | \(row.kind.rawValue) | \(row.summary.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
