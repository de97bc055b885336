// Where a data set's raw files come from: the built-in sources (CIFAR-10, Fashion-MNIST, synthetic),
// any URL or local path with a checksum, and the checksums that pin each file's content.
import Foundation

/// A set of files to fetch: from a base URL (or a local directory), each verified by a checksum,
/// with an optional local directory to copy from when the base URL is unreachable.
public struct DataSource: Sendable, Equatable {
    /// One file of a source.
    public struct File: Sendable, Equatable {
        /// The name under the base URL or directory, and in the output directory.
        public let name: String
        /// The content the file must have; nil for a file taken as the location serves it, whose
        /// content the caller pins by hashing it (see `DataSource.unpinned`).
        public let checksum: Checksum?
        /// True when `checksum` is of the gunzipped content rather than the file's bytes, so that a
        /// re-compressed copy (as Debian ships Fashion-MNIST) verifies as well as the original.
        public let checksumOfDecompressed: Bool
        /// The size the file had when `checksum` was pinned, when that was recorded: a body longer
        /// than this is refused the moment it is announced or its bytes arrive, never fetched whole.
        public var bytes: Int64?

        public init(name: String, checksum: Checksum?, checksumOfDecompressed: Bool = false, bytes: Int64? = nil) {
            self.name = name
            self.checksum = checksum
            self.checksumOfDecompressed = checksumOfDecompressed
            self.bytes = bytes
        }
    }

    /// Where the files are read from.
    public enum Location: Sendable, Equatable {
        /// Over HTTP(S): each file at `base` + its name (a mirror replaces `base`).
        case remote(base: URL)
        /// In a local directory, read directly (URLSession takes no `file://` URLs here).
        case local(directory: String)
        /// Made by the pipeline itself (the synthetic data set): there is nothing to fetch.
        case generated
    }

    public let name: String
    public let location: Location
    public private(set) var files: [File]
    /// A local directory holding the same files, used when the remote location is unreachable.
    public let fallbackDirectory: String?
    /// What to tell the user when the files cannot be had.
    public let advice: String

    public init(name: String, location: Location, files: [File], fallbackDirectory: String? = nil,
                advice: String = "check the network or set a mirror") {
        self.name = name
        self.location = location
        self.files = files
        self.fallbackDirectory = fallbackDirectory
        self.advice = advice
    }

    /// This source with each file's `bytes` set to what `recordedBytes` gives for its checksum (a
    /// checksum of the file's own bytes only: a decompressed content's says nothing of the file's size).
    public func withRecordedSizes(_ recordedBytes: (Checksum) -> Int64?) -> DataSource {
        var copy = self
        copy.files = files.map { file in
            var file = file
            if let checksum = file.checksum, !file.checksumOfDecompressed, let bytes = recordedBytes(checksum) { file.bytes = bytes }
            return file
        }
        return copy
    }

    public static let cifar10PublisherURL = URL(string: "https://www.cs.toronto.edu/~kriz/")!
    public static let fashionMNISTPublisherURL =
        URL(string: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")!
    public static let fashionMNISTDebianDirectory = "/usr/share/datasets/fashion-mnist"

    /// The CIFAR-10 binary tarball, verified by the MD5 its publisher lists on
    /// https://www.cs.toronto.edu/~kriz/cifar.html (the same value torchvision and others pin).
    public static func cifar10(baseURL: URL = cifar10PublisherURL) -> DataSource {
        DataSource(name: "cifar10", location: .remote(base: baseURL), files: [
            File(name: CIFAR10Reader.archiveName,
                 checksum: Checksum(uncheckedAlgorithm: .md5, hex: "c32a1d4ab5d03f1284b67883e8d87530")),
        ])
    }

    /// The four Fashion-MNIST IDX files from the publisher, or from Debian's `dataset-fashion-mnist`
    /// copy when the publisher is unreachable. Debian re-gzipped the files, so each is pinned by the
    /// SHA-256 of its decompressed content (measured with `zcat FILE | sha256sum` on the Debian copy,
    /// version 0.0~git20200523.55506a9-1), which both copies share.
    public static func fashionMNIST(baseURL: URL = fashionMNISTPublisherURL,
                                    fallbackDirectory: String? = fashionMNISTDebianDirectory) -> DataSource {
        let contentSHA256 = [
            (FashionMNIST.trainImages, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            (FashionMNIST.trainLabels, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            (FashionMNIST.testImages, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            (FashionMNIST.testLabels, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ]
        return DataSource(
            name: "fashion-mnist", location: .remote(base: baseURL),
            files: contentSHA256.map {
                File(name: $0.0, checksum: Checksum(uncheckedAlgorithm: .sha256, hex: $0.1),
                     checksumOfDecompressed: true)
            },
            fallbackDirectory: fallbackDirectory,
            advice: "check the network or set a mirror, or use the local Debian copy:"
                + " apt-get install dataset-fashion-mnist")
    }

    /// The synthetic data set: generated by `SyntheticImages` when preprocessing, so there is
    /// nothing to fetch and no network is needed.
    public static let synthetic = DataSource(name: "synthetic", location: .generated, files: [])

    /// One file at an http(s) URL, verified by `checksum`.
    public static func url(_ url: URL, checksum: Checksum) -> DataSource {
        DataSource(name: url.absoluteString, location: .remote(base: url.deletingLastPathComponent()),
                   files: [File(name: url.lastPathComponent, checksum: checksum)])
    }

    /// One local file, read directly and verified by `checksum`.
    public static func localFile(_ path: String, checksum: Checksum) -> DataSource {
        let nsPath = path as NSString
        return DataSource(name: path, location: .local(directory: nsPath.deletingLastPathComponent),
                          files: [File(name: nsPath.lastPathComponent, checksum: checksum)],
                          advice: "check the path")
    }

    /// One file at an http(s) URL or a local path, taken as it is: the caller records what it got
    /// (pretrain pins imported weights on first use by their SHA-256).
    public static func unpinned(_ spec: String) throws -> DataSource {
        guard spec.hasPrefix("http://") || spec.hasPrefix("https://") else {
            let nsPath = spec as NSString
            return DataSource(name: spec, location: .local(directory: nsPath.deletingLastPathComponent),
                              files: [File(name: nsPath.lastPathComponent, checksum: nil)], advice: "check the path")
        }
        guard let url = URL(string: spec), !url.lastPathComponent.isEmpty, url.lastPathComponent != "/" else {
            throw DownloadError.badSource("\"\(spec)\" is not a URL naming a file")
        }
        return DataSource(name: url.absoluteString, location: .remote(base: url.deletingLastPathComponent()),
                          files: [File(name: url.lastPathComponent, checksum: nil)])
    }

    /// A source from its pipeline-file spelling: `cifar10`, `fashion-mnist`, `synthetic`, an http(s)
    /// URL or a local path; the last two need `checksum` (`md5:HEX` or `sha256:HEX`).
    public static func parse(_ spec: String, checksum: String? = nil) throws -> DataSource {
        switch spec {
        case "cifar10": return cifar10()
        case "fashion-mnist": return fashionMNIST()
        case "synthetic": return synthetic
        default: break
        }
        guard let checksum else {
            throw DownloadError.badSource("source \"\(spec)\" is not cifar10, fashion-mnist or synthetic,"
                                          + " so it needs a checksum (md5:HEX or sha256:HEX)")
        }
        let expected = try Checksum(parsing: checksum)
        if spec.hasPrefix("http://") || spec.hasPrefix("https://") {
            guard let url = URL(string: spec), !url.lastPathComponent.isEmpty, url.lastPathComponent != "/" else {
                throw DownloadError.badSource("\"\(spec)\" is not a URL naming a file")
            }
            return DataSource.url(url, checksum: expected)
        }
        return localFile(spec, checksum: expected)
    }
}
