// The folder an archive is unpacked into: each entry streamed into its own new file, checked
// against the others (no two entries to one file, no file where a folder is needed) and against
// the unpack limits as its bytes arrive.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class UnpackedFolder: TarEntryConsumer {
    private let archive: String
    private let directory: String
    private let limits: UnpackLimits
    private let archiveBytes: Int64
    /// Each file written so far (its path below `directory`) and the entry that made it.
    private var files: [String: String] = [:]
    /// Each folder created for an entry (its path below `directory`) and the first entry inside it.
    private var folders: [String: String] = [:]
    private var descriptor: Int32 = -1
    private var entry = ""
    private var total: Int64 = 0
    /// How many files were written.
    private(set) var count = 0

    init(archive: String, directory: String, archiveBytes: Int64, limits: UnpackLimits) {
        self.archive = archive
        self.directory = directory
        self.archiveBytes = archiveBytes
        self.limits = limits
    }

    /// Starts entry `name`, which declares `size` bytes: refused before anything is written when it
    /// would land outside the folder, collide with an earlier entry, or exceed a limit by its size
    /// or by being one file too many.
    func begin(_ name: String, size: Int) throws {
        close()
        entry = name
        guard count < limits.maxFiles else {
            throw ArchiveError.limitExceeded(archive: archive, entry: name, limit: "the limit of \(limits.maxFiles) files",
                                             parameter: "max_unpacked_files")
        }
        let relative = try place(of: name)
        try checkLimits(adding: Int64(size))
        let target = (directory as NSString).appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
        } catch {
            throw ArchiveError.badEntry(archive: archive, entry: name, detail: "cannot be written: its folder cannot be created (\(error.localizedDescription))")
        }
        descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ArchiveError.badEntry(archive: archive, entry: name, detail: "cannot be written: \(String(cString: strerror(errno)))")
        }
        count += 1
    }

    /// Appends the next bytes of the current entry. The readers hand over no more than the entry
    /// declared, which `begin` counted against the limits: a tar entry's data is its declared size
    /// by the format, and `ZipArchive.stream` stops an inflation that runs past it.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var at = 0
        while at < bytes.count {
            let n = Glibc.write(descriptor, bytes.baseAddress! + at, bytes.count - at)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw ArchiveError.badEntry(archive: archive, entry: entry, detail: "cannot be written: \(String(cString: strerror(errno)))")
            }
            at += n
        }
    }

    func end() throws { close() }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Where entry `name` goes below the folder (no absolute paths, no `..`), claimed for it.
    private func place(of name: String) throws -> String {
        let parts = name.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.map(String.init)
        guard !name.hasPrefix("/"), !parts.contains(".."), !parts.isEmpty else {
            throw ArchiveError.badEntry(archive: archive, entry: name, detail: "would be written outside the folder it is unpacked into")
        }
        let relative = parts.joined(separator: "/")
        if let first = files[relative] { throw ArchiveError.duplicate(archive: archive, first: first, second: name) }
        if let inside = folders[relative] { throw ArchiveError.fileAndFolder(archive: archive, file: name, inside: inside) }
        for depth in 1..<parts.count {
            let folder = parts[..<depth].joined(separator: "/")
            if let file = files[folder] { throw ArchiveError.fileAndFolder(archive: archive, file: file, inside: name) }
            if folders[folder] == nil { folders[folder] = name }
        }
        files[relative] = name
        return relative
    }

    /// Counts `bytes` more towards the total, refusing them if the total or the ratio would be exceeded.
    private func checkLimits(adding bytes: Int64) throws {
        let (sum, overflow) = total.addingReportingOverflow(bytes)
        if overflow || sum > limits.maxTotalBytes {
            throw ArchiveError.limitExceeded(archive: archive, entry: entry,
                                             limit: "the limit of \(mib(limits.maxTotalBytes)) unpacked",
                                             parameter: "max_unpacked_mib")
        }
        let (ratioBytes, ratioOverflow) = archiveBytes.multipliedReportingOverflow(by: limits.maxRatio)
        if sum > UnpackLimits.ratioFloorBytes && !ratioOverflow && sum > ratioBytes {
            throw ArchiveError.limitExceeded(archive: archive, entry: entry,
                                             limit: "\(limits.maxRatio) times the archive's \(archiveBytes) bytes unpacked",
                                             parameter: "max_unpack_ratio")
        }
        total = sum
    }

    private func mib(_ bytes: Int64) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}
