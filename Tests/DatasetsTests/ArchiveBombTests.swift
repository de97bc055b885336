// Archives built to exhaust memory or disk, or whose names collide, unpacked as an image-folder
// download unpacks them: refused by their declared sizes and the unpack limits, streamed to disk
// otherwise, and every error names the archive and the entry.
@testable import Datasets
import XCTest
import TestSupport

final class ArchiveBombTests: XCTestCase {
    private func python(_ script: String) throws {
        try runTool("/usr/bin/python3", ["-c", script])
    }

    /// Every file below `directory`, relative to it.
    private func files(in directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? [])
            .filter { !isFolder((directory as NSString).appendingPathComponent($0)) }.sorted()
    }

    private func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    private func extractionError(_ archive: String, limits: UnpackLimits = .defaults, into target: String) -> String {
        do {
            try ArchiveExtraction.extract(archive, into: target, limits: limits)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// Empty entries cost no bytes, so only a count stops a million of them; a small limit stands in.
    func testATarOrZipOfMoreEmptyEntriesThanTheFileLimitIsRefusedAtTheFirstOneTooMany() throws {
        let dir = try makeTemporaryDirectory(self)
        try python("""
        import io, tarfile, zipfile
        with tarfile.open('\(dir)/empty.tar.gz', 'w:gz') as t:
            for i in range(101):
                t.addfile(tarfile.TarInfo('c/%05d.png' % i), io.BytesIO(b''))
        with zipfile.ZipFile('\(dir)/empty.zip', 'w') as z:
            for i in range(101):
                z.writestr('c/%05d.png' % i, b'')
        """)
        let limits = UnpackLimits(maxTotalBytes: 1 << 20, maxRatio: 200, maxFiles: 100)
        for archive in ["empty.tar.gz", "empty.zip"] {
            let target = dir + "/" + archive + ".out"
            XCTAssertEqual(extractionError(dir + "/" + archive, limits: limits, into: target),
                           "\(dir)/\(archive): unpacking entry 'c/00100.png' would exceed the limit of 100 files;"
                           + " if the archive is trusted, raise the download parameter max_unpacked_files")
            XCTAssertEqual(files(in: target).count, 100, archive)
        }
        XCTAssertEqual(try ArchiveExtraction.extract(dir + "/empty.zip", into: dir + "/fits",
                                                     limits: UnpackLimits(maxTotalBytes: 1 << 20, maxRatio: 200, maxFiles: 101)), 101)
    }

    /// A zip whose one entry declares 100 bytes in its headers but inflates to 1 MiB of zeros.
    func testAZipEntryInflatingBeyondItsDeclaredSizeStopsThere() throws {
        let dir = try makeTemporaryDirectory(self)
        let zip = dir + "/bomb.zip"
        try python("""
        import struct, zipfile
        with zipfile.ZipFile('\(zip)', 'w', zipfile.ZIP_DEFLATED) as z:
            z.writestr('a/zeros.png', bytes(1 << 20))
        data = bytearray(open('\(zip)', 'rb').read())
        # The uncompressed size: at 22 in the local header, at 24 in the central directory entry.
        data[22:26] = struct.pack('<I', 100)
        central = data.rfind(b'PK\\x01\\x02')
        data[central + 24:central + 28] = struct.pack('<I', 100)
        open('\(zip)', 'wb').write(data)
        """)
        let target = dir + "/out"
        let error = extractionError(zip, into: target)
        XCTAssertEqual(error, "\(zip): entry 'a/zeros.png' inflates to more than the 100 bytes its header declares"
                       + " (a corrupt archive or a zip bomb); nothing more of it was written")
        let written = (try? FileManager.default.attributesOfItem(atPath: target + "/a/zeros.png"))?[.size] as? Int ?? 0
        XCTAssertLessThanOrEqual(written, 100)
    }

    /// A .tar.gz of a 20 MiB zero entry (20 KB compressed): over a 1 MiB cap and over 200 times its size.
    func testATarEntryBeyondTheUnpackLimitsIsRefusedBeforeItIsWritten() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/zeros.tar.gz"
        try python("""
        import io, tarfile
        with tarfile.open('\(archive)', 'w:gz') as t:
            info = tarfile.TarInfo('images/a/zeros.png'); info.size = 20 << 20
            t.addfile(info, io.BytesIO(bytes(20 << 20)))
        """)
        let archiveBytes = try FileManager.default.attributesOfItem(atPath: archive)[.size] as! Int
        XCTAssertEqual(extractionError(archive, limits: UnpackLimits(maxTotalBytes: 1 << 20, maxRatio: 1_000_000), into: dir + "/capped"),
                       "\(archive): unpacking entry 'images/a/zeros.png' would exceed the limit of 1 MiB unpacked;"
                       + " if the archive is trusted, raise the download parameter max_unpacked_mib")
        XCTAssertEqual(extractionError(archive, into: dir + "/ratio"),
                       "\(archive): unpacking entry 'images/a/zeros.png' would exceed 200 times the archive's \(archiveBytes)"
                       + " bytes unpacked; if the archive is trusted, raise the download parameter max_unpack_ratio")
        XCTAssertEqual(files(in: dir + "/capped") + files(in: dir + "/ratio"), [], "nothing written")
        // Raised limits let the same archive through, streamed to disk.
        XCTAssertEqual(try ArchiveExtraction.extract(archive, into: dir + "/raised",
                                                     limits: UnpackLimits(maxTotalBytes: 1 << 30, maxRatio: 1_000_000)), 1)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir + "/raised/images/a/zeros.png")[.size] as? Int, 20 << 20)
    }

    /// The ratio limit is against the archive's size: reached through a symbolic link (as a data folder
    /// of links may hold it), the link's own few bytes must not stand in for it.
    func testTheRatioLimitCountsTheArchiveASymbolicLinkLeadsTo() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/zeros.tar.gz"
        try python("""
        import io, tarfile
        with tarfile.open('\(archive)', 'w:gz') as t:
            info = tarfile.TarInfo('images/a/zeros.png'); info.size = 20 << 20
            t.addfile(info, io.BytesIO(bytes(20 << 20)))
        """)
        let link = dir + "/link.tar.gz"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: archive)
        // 20 MiB from ~20 KB is ~1000 times: within 5000 times the archive, far beyond 5000 times a link's ~40 bytes.
        let limits = UnpackLimits(maxTotalBytes: 1 << 30, maxRatio: 5000)
        XCTAssertEqual(try ArchiveExtraction.extract(link, into: dir + "/out", limits: limits), 1, extractionError(link, limits: limits, into: dir + "/again"))
    }

    /// An archive whose size cannot be found out is refused by name, never unpacked against a size of 0.
    func testAnArchiveWhoseSizeCannotBeReadIsRefusedNamingIt() throws {
        let dir = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try fileBytes(dir + "/gone.tar.gz")) {
            XCTAssertEqual("\($0)", "cannot read \(dir)/gone.tar.gz: its size cannot be read (No such file or directory)")
        }
    }

    /// Python's tarfile writes pax headers: a 120-character name and a UTF-8 name come through whole.
    func testPaxLongAndUTF8NamesAreKept() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/pax.tar"
        let long = String(repeating: "l", count: 120) + ".png"
        try python("""
        import io, tarfile
        with tarfile.open('\(archive)', 'w', format=tarfile.PAX_FORMAT) as t:
            for name in ['images/a/\(long)', 'images/b/caf\\u00e9.png']:
                info = tarfile.TarInfo(name); info.size = 3
                t.addfile(info, io.BytesIO(b'abc'))
        """)
        XCTAssertEqual(try ArchiveExtraction.extract(archive, into: dir + "/out"), 2)
        XCTAssertEqual(files(in: dir + "/out"), ["images/a/\(long)", "images/b/café.png"])
    }

    func testDuplicateEntriesAreRefusedNamingBoth() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/twice.tar"
        try python("""
        import io, tarfile
        with tarfile.open('\(archive)', 'w') as t:
            for name in ['images/a/x.png', './images/a/x.png']:
                info = tarfile.TarInfo(name); info.size = 1
                t.addfile(info, io.BytesIO(b'z'))
        """)
        XCTAssertEqual(extractionError(archive, into: dir + "/out"),
                       "\(archive): entries 'images/a/x.png' and './images/a/x.png' would both be unpacked to the same file;"
                       + " rename one of them")
    }

    func testNamesDifferingOnlyInInvalidUTF8AreRefusedNamingBoth() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/latin1.tar"
        try python("""
        import io, tarfile
        with tarfile.open('\(archive)', 'w', format=tarfile.USTAR_FORMAT, encoding='latin-1') as t:
            for name in ['a/caf\\u00e9.png', 'a/caf\\u00e8.png']:
                info = tarfile.TarInfo(name); info.size = 1
                t.addfile(info, io.BytesIO(b'z'))
        """)
        XCTAssertEqual(extractionError(archive, into: dir + "/out"),
                       "\(archive): entries 'a/caf\u{FFFD}.png' and 'a/caf\u{FFFD}.png' would both be unpacked to the same file;"
                       + " rename one of them")
    }

    func testAFileWhereAnotherEntryNeedsAFolderIsAClearError() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/clash.zip"
        try python("""
        import zipfile
        with zipfile.ZipFile('\(archive)', 'w') as z:
            z.writestr('a/x', b'file')
            z.writestr('a/x/y.png', b'image')
        """)
        XCTAssertEqual(extractionError(archive, into: dir + "/out"),
                       "\(archive): entry 'a/x' is a file, but entry 'a/x/y.png' needs a folder of that name; rename one of them")
    }

    func testAnEntryNameWithTerminalEscapesIsPrintedEscaped() throws {
        let dir = try makeTemporaryDirectory(self)
        let archive = dir + "/escape.tar"
        try python("""
        import io, tarfile
        with tarfile.open('\(archive)', 'w') as t:
            for name in ['a/\\x1b[2Jx\\ny.png', 'a/\\x1b[2Jx\\ny.png']:
                info = tarfile.TarInfo(name); info.size = 1
                t.addfile(info, io.BytesIO(b'z'))
        """)
        let error = extractionError(archive, into: dir + "/out")
        XCTAssertTrue(error.contains("'a/\\u{1B}[2Jx\\ny.png'"), error)
        XCTAssertFalse(error.contains("\u{1B}") || error.contains("\n"), error)
    }
}
