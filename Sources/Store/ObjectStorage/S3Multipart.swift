// Multipart uploads: large files go up in parts read one at a time (memory stays at one part), each
// part retried on its own; an upload that finally fails is aborted so its parts do not linger.
import Foundation

extension S3Client {
    /// A multipart upload in progress, as ListMultipartUploads reports it.
    public struct PendingUpload: Equatable, Sendable {
        public let key: String
        public let uploadID: String
        public let initiated: Date
    }

    /// Stores the file at `file` (of `size` bytes) as object `key`: in one PUT up to the part size,
    /// as a multipart upload above it. Returns once the object exists whole; if a multipart upload
    /// fails it is aborted (best effort: with the server gone the abort fails too, and
    /// `abortPendingUploads(olderThan:)` or a bucket lifecycle rule removes the parts later).
    @discardableResult
    public func uploadFile(_ file: URL, size: Int64, as key: String) throws -> String {
        let partSize = Int64(configuration.partSize)
        guard size > partSize else { return try putObject(key, file: file) }

        let source = try PosixFile.openFile(file.path, flags: O_RDONLY)
        defer { source.closeFile() }
        let uploadID = try createMultipartUpload(key)
        do {
            var parts: [(number: Int, etag: String)] = []
            var offset: Int64 = 0
            while offset < size {
                let count = Int(min(partSize, size - offset))
                var part = Data(count: count)
                let read = try part.withUnsafeMutableBytes { try source.readFully(into: $0) }
                guard read == count else {
                    throw StoreError.io(operation: "read (file shrank during upload)", path: file.path, code: EIO)
                }
                let number = parts.count + 1
                parts.append((number, try uploadPart(key, uploadID: uploadID, number: number, data: part)))
                offset += Int64(count)
            }
            return try completeMultipartUpload(key, uploadID: uploadID, parts: parts, size: size)
        } catch {
            try? abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    /// Starts a multipart upload of object `key`; returns its upload id.
    public func createMultipartUpload(_ key: String) throws -> String {
        let response = try perform(Call(operation: "CREATE MULTIPART UPLOAD", method: "POST", key: key,
                                        query: [(name: "uploads", value: "")]))
        guard let uploadID = XMLElement.parse(response.body)?["UploadId"], !uploadID.isEmpty else {
            throw malformed("CREATE MULTIPART UPLOAD", key: key, "no UploadId in the answer")
        }
        return uploadID
    }

    /// Uploads part `number` (1-based) of an upload; returns the part's ETag.
    public func uploadPart(_ key: String, uploadID: String, number: Int, data: Data) throws -> String {
        let response = try perform(Call(operation: "UPLOAD PART \(number)", method: "PUT", key: key,
                                        query: [(name: "partNumber", value: String(number)), (name: "uploadId", value: uploadID)],
                                        body: .data(data), payloadHash: payloadHash(of: data)))
        guard let etag = response.headers["etag"] else {
            throw malformed("UPLOAD PART \(number)", key: key, "no ETag in the answer")
        }
        return etag
    }

    /// Joins the parts into the object. A retried completion that finds the upload gone (the first
    /// attempt completed but its answer was lost) succeeds if the object is there with `size` bytes.
    @discardableResult
    public func completeMultipartUpload(_ key: String, uploadID: String, parts: [(number: Int, etag: String)],
                                        size: Int64? = nil) throws -> String {
        let list = parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(Self.xmlEscaped($0.etag))</ETag></Part>" }
        let body = Data("<CompleteMultipartUpload>\(list.joined())</CompleteMultipartUpload>".utf8)
        let call = Call(operation: "COMPLETE MULTIPART UPLOAD", method: "POST", key: key,
                        query: [(name: "uploadId", value: uploadID)],
                        headers: [(name: "content-type", value: "application/xml")],
                        body: .data(body), payloadHash: payloadHash(of: body))
        do {
            let response = try perform(call, validate: { response in
                // S3 may answer 200 and then report a failure in the body.
                let document = XMLElement.parse(response.body)
                return document?.name == "Error" ? Self.errorReason(response) : nil
            })
            return XMLElement.parse(response.body)?["ETag"] ?? ""
        } catch let error as S3Error where error.code == "NoSuchUpload" && error.attempts > 1 {
            guard let size, let info = try headObject(key), info.size == size else { throw error }
            return info.etag
        }
    }

    /// Abandons an upload and frees its parts.
    public func abortMultipartUpload(_ key: String, uploadID: String) throws {
        try perform(Call(operation: "ABORT MULTIPART UPLOAD", method: "DELETE", key: key,
                         query: [(name: "uploadId", value: uploadID)], expect: [200, 204]))
    }

    /// The multipart uploads started and neither completed nor aborted, for keys under `prefix`.
    public func pendingUploads(prefix: String) throws -> [PendingUpload] {
        var uploads: [PendingUpload] = []
        var markers: (key: String, uploadID: String)?
        repeat {
            var query = [(name: "uploads", value: ""), (name: "prefix", value: prefix)]
            if let markers {
                query += [(name: "key-marker", value: markers.key), (name: "upload-id-marker", value: markers.uploadID)]
            }
            let response = try perform(Call(operation: "LIST MULTIPART UPLOADS", method: "GET", key: nil, query: query))
            guard let root = XMLElement.parse(response.body), root.name == "ListMultipartUploadsResult" else {
                throw malformed("LIST MULTIPART UPLOADS", key: nil, "not a ListMultipartUploadsResult document")
            }
            for upload in root.all("Upload") {
                guard let key = upload["Key"], let id = upload["UploadId"] else { continue }
                uploads.append(PendingUpload(key: key, uploadID: id,
                                             initiated: upload["Initiated"].flatMap(S3Time.parseISO8601) ?? Date()))
            }
            markers = nil
            if root["IsTruncated"] == "true", let key = root["NextKeyMarker"], let id = root["NextUploadIdMarker"] {
                markers = (key, id)
            }
        } while markers != nil
        return uploads
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
