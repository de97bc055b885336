// An image-folder download's parameters as the typed source the Datasets target resolves: the
// parameter rules (one of path and url; a url with its sha256) are the pipeline's, so they are read
// here and Datasets never sees a parameter.
import Datasets
import Foundation

extension ImageFolderSource {
    /// Reads the `path`/`url`, `sha256`, `test_path` and `labels` of an image-folder download;
    /// `stage` names it in errors.
    init(_ p: StageParameters, stage: String) throws {
        let origin: Origin
        switch (p.optionalString("path"), p.optionalString("url")) {
        case let (path?, nil): origin = .path(path)
        case let (nil, url?):
            guard let sha256 = p.optionalString("sha256") else {
                throw StageError.unsupported(stage: stage, parameter: "url", value: url, expected: "a sha256 beside it (the archive's SHA-256)")
            }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? "") else {
                throw StageError.unsupported(stage: stage, parameter: "url", value: url, expected: "an http(s) URL of a .tar, .tar.gz or .zip")
            }
            origin = .url(parsed, sha256: sha256)
        default:
            throw StageError.unsupported(stage: stage, parameter: "source", value: "image-folder with "
                                         + (p.optionalString("path") == nil ? "neither path nor url" : "both path and url"),
                                         expected: "path (a local folder or archive) or url (an archive, with sha256)")
        }
        try self.init(images: origin, testPath: p.optionalString("test_path"), labels: p.optionalString("labels"))
    }
}
