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

            On a shared store with blobs in S3-compatible storage, the local folder is this machine's \
            cache: its copies are re-hashed, and the bucket is listed, so every recorded blob must be \
            there. --remote-content also downloads every object in the bucket and re-hashes it; with \
            --quarantine a corrupt object is then deleted from the bucket (its bytes kept in the cache's \
            quarantine/) and its artifact forgotten, so the next run recomputes and uploads it again.

            EXAMPLES:
              tlab verify
              tlab verify --quarantine && tlab run
              tlab verify --store team.yaml --remote-content

            \(HelpText.exitStatus)
            """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    @Flag(help: "Move corrupt blobs to quarantine/ so the next run recomputes them.")
    var quarantine = false

    @Flag(help: "With blobs in a bucket: download and re-hash every object, not only list them.")
    var remoteContent = false

    func run() throws {
        let store = try storeOptions.openExisting()
        let report = try store.blobs.verify(against: store.lineage, quarantineCorrupt: quarantine,
                                            remoteContent: remoteContent)
        if output.json {
            try JSONOutput.print(report)
        } else {
            print(Self.render(report), terminator: "")
        }
        if report.isDamaged { throw ExitCode.failure }
    }

    static func render(_ s: VerifyReport) -> String {
        let terminal = Terminal.standardOutput
        var out = "\(s.checked) blobs checked: \(s.intact) intact, \(s.corrupt.count) corrupt, "
            + "\(s.missing.count) missing, \(s.orphaned.count) orphaned\n"
        if let remote = s.remote {
            out += "\(remote): \(s.remoteListed) objects listed, \(s.remoteChecked) downloaded and re-hashed\n"
        }
        for c in s.corrupt {
            let removal = !s.removed(c) ? "" : c.inRemote ? "; deleted from the bucket" : "; moved to \(c.quarantinedTo?.path ?? "")"
            out += terminal.paint("corrupt", .red) + "  \(c.hash)\(c.inRemote ? " (in the bucket)" : ""): \(c.reason)"
                + removal + "\n"
        }
        for hash in s.missing {
            out += terminal.paint("missing", .red) + "  \(hash): recorded in the lineage, no blob file\n"
        }
        for hash in s.orphaned {
            out += terminal.paint("orphan", .yellow) + "   \(hash): no artifact row names it ('tlab gc' sweeps it)\n"
        }
        if s.isDamaged {
            let quarantined = s.corrupt.allSatisfy(s.removed)
            out += quarantined && s.missing.isEmpty
                ? "Damage quarantined; the next run recomputes what it needs.\n"
                : "Damage found: 'tlab verify --quarantine' sets corrupt blobs aside so the next run recomputes them.\n"
        }
        return out
    }
}
