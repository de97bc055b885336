// The kinds of content an artifact blob can hold, as stored in the lineage database's media-type column.

/// What the uncompressed bytes of a blob are. The raw value is a MIME type, stable across versions,
/// so it can live in a database column and be handed to other tools as is.
public enum MediaType: String, CaseIterable, Codable, Sendable {
    /// One or more named tensors in the safetensors layout (see `SafeTensors`).
    case tensor = "application/vnd.safetensors"
    case json = "application/json"
    case markdown = "text/markdown"
    case csv = "text/csv"
    case svg = "image/svg+xml"
    /// Any other file, kept byte for byte (for example a downloaded data set archive).
    case raw = "application/octet-stream"

    /// True for the kinds a person reads in an editor (Markdown, CSV, SVG, JSON).
    public var isText: Bool {
        switch self {
        case .json, .markdown, .csv, .svg: return true
        case .tensor, .raw: return false
        }
    }
}
