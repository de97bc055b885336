// `tlab verify`: re-hash every blob and hold the lineage against the store; exit 1 on damage.
import ArgumentParser
import Foundation
import Store

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash every blob and check the lineage database against the store.",
        discussion: """
            Counts intact blobs and reports damage: corrupt blobs (their content no longer hashes to their \
            name) and missing ones (recorded, but no file). Orphans (blobs no artifact row names, left by a \
            run that died before recording them) are listed but are not damage: 'tlab gc' sweeps them. Exits \
            1 when there is damage. With --quarantine, corrupt blobs are moved to quarantine/ and forgotten, \
            so the next run recomputes them.

            EXAMPLES:
              tlab verify
              tlab verify --quarantine && tlab run

            \(HelpText.exitStatus)
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Move corrupt blobs to quarantine/ so the next run recomputes them.")
    var quarantine = false

    struct Corrupt: Encodable {
        let hash: String
        let reason: String
        let quarantinedTo: String?
    }

    struct Summary: Encodable {
        let checked: Int
        let intact: Int
        let corrupt: [Corrupt]
        let missing: [String]
        let orphaned: [String]
        let damaged: Bool
    }

    func run() throws {
        let store = try storeOptions.openExisting()
        let report = try store.blobs.verify(against: store.lineage, quarantineCorrupt: quarantine)
        let summary = Summary(
            checked: report.checked, intact: report.intact,
            corrupt: report.corrupt.map { Corrupt(hash: $0.hash, reason: $0.reason, quarantinedTo: $0.quarantinedTo?.path) },
            missing: report.missing, orphaned: report.orphaned, damaged: report.isDamaged)
        if output.json {
            try JSONOutput.print(summary)
        } else {
            print(Self.render(summary), terminator: "")
        }
        if report.isDamaged { throw ExitCode.failure }
    }

    static func render(_ s: Summary) -> String {
        let terminal = Terminal.standardOutput
        var out = "\(s.checked) blobs checked: \(s.intact) intact, \(s.corrupt.count) corrupt, "
            + "\(s.missing.count) missing, \(s.orphaned.count) orphaned\n"
        for c in s.corrupt {
            out += terminal.paint("corrupt", .red) + "  \(c.hash): \(c.reason)"
                + (c.quarantinedTo.map { "; moved to \($0)" } ?? "") + "\n"
        }
        for hash in s.missing {
            out += terminal.paint("missing", .red) + "  \(hash): recorded in the lineage, no blob file\n"
        }
        for hash in s.orphaned {
            out += terminal.paint("orphan", .yellow) + "   \(hash): no artifact row names it ('tlab gc' sweeps it)\n"
        }
        if s.damaged {
            let quarantined = s.corrupt.allSatisfy { $0.quarantinedTo != nil }
            out += quarantined && s.missing.isEmpty
                ? "Damage quarantined; the next run recomputes what it needs.\n"
                : "Damage found: 'tlab verify --quarantine' sets corrupt blobs aside so the next run recomputes them.\n"
        }
        return out
    }
}
