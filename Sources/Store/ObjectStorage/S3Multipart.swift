// Uploads of files: one PUT, or for large files a multipart upload whose parts go up a few at a time,
// each retried on its own and read from the file as it is sent. A multipart upload that finally fails
// is aborted so its parts do not linger.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension S3Client {
    /// A multipart upload in progress, as ListMultipartUploads reports it.
    public struct PendingUpload: Equatable, Sendable {
        public let key: String
        public let uploadID: String
        public let initiated: Date
    }

    /// Stores the file at `file` (of `size` bytes) as object `key`: in one PUT up to the part size,
    /// as a multipart upload above it, with `configuration.partsInFlight` parts uploading at once.
    /// Each request's body is read from the file as it is sent, so memory stays at libcurl's buffers
    /// whatever the size. Returns once the object exists whole; if a multipart upload fails it is
    /// aborted (best effort: with the server gone the abort fails too, and `pendingUploads` plus
    /// `abortMultipartUpload`, as gc does, or a bucket lifecycle rule remove the parts later).
    @discardableResult
    public func uploadFile(_ file: URL, size: Int64, as key: String) throws -> String {
        // S3 allows 10,000 parts: larger objects need larger parts.
        let partSize = max(Int64(configuration.partSize), (size + 9_999) / 10_000)
        let path = file.path
        guard size > partSize else { return try putWhole(path, count: size, as: key) }

        let uploadID = try createMultipartUpload(key)
        let uploads = PartUploads(slots: max(1, configuration.partsInFlight))
        var number = 0
        var offset: Int64 = 0
        while offset < size && !uploads.failed {
            let count = min(partSize, size - offset)
            number += 1
            uploads.start(number) { [self, number, offset] in
                try uploadPart(number, of: uploadID, from: path, offset: offset, count: count, as: key)
            }
            offset += count
        }
        do {
            let parts = try uploads.finish()
            return try completeMultipartUpload(key, uploadID: uploadID, parts: parts, size: size)
        } catch {
            try? abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    /// Uploads the file at `path` as object `key` while another thread still writes it (`arriving`
    /// reports its length and end): each part goes up as soon as the file holds it, so the upload
    /// overlaps the writing. A file that ends within one part goes up in one PUT. The object appears
    /// only once the writing ended without failure; a failure there or here aborts the upload, and
    /// an upload failure abandons `arriving`, which stops the writer. `partSize` must keep the file
    /// within S3's 10,000 parts.
    @discardableResult
    func uploadGrowingFile(_ path: String, as key: String, partSize: Int64, arriving: ArrivingFile) throws -> String {
        var (available, ended) = try arriving.bytes(moreThan: partSize, after: 0)
        if ended && available <= partSize { return try putWhole(path, count: available, as: key) }
        let uploadID = try createMultipartUpload(key)
        let uploads = PartUploads(slots: max(1, configuration.partsInFlight))
        var number = 0
        var offset: Int64 = 0
        do {
            while available > 0 && !uploads.failed {
                let count = min(partSize, available)
                number += 1
                uploads.start(number) { [self, number, offset] in
                    try uploadPart(number, of: uploadID, from: path, offset: offset, count: count, as: key)
                }
                offset += count
                (available, ended) = try arriving.bytes(moreThan: ended ? -1 : partSize, after: offset)
            }
            let parts = try uploads.finish()
            return try completeMultipartUpload(key, uploadID: uploadID, parts: parts, size: offset)
        } catch {
            arriving.abandon()
            _ = try? uploads.finish()
            try? abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    /// Stores the first `count` bytes of the file at `path` as object `key` in one PUT; returns its ETag.
    private func putWhole(_ path: String, count: Int64, as key: String) throws -> String {
        let response = try perform(Call(operation: "PUT", method: "PUT", key: key,
                                        body: .file(path: path, offset: 0, count: count),
                                        payloadHash: try payloadHash(ofFile: path, offset: 0, count: count)))
        return response.headers["etag"] ?? ""
    }

    /// Uploads `count` bytes of the file at `path` from `offset` as part `number` of upload `uploadID`;
    /// returns the part's ETag.
    private func uploadPart(_ number: Int, of uploadID: String, from path: String, offset: Int64, count: Int64,
                            as key: String) throws -> String {
        let response = try perform(Call(operation: "UPLOAD PART \(number)", method: "PUT", key: key,
                                        query: Self.partQuery(number, uploadID: uploadID),
                                        body: .file(path: path, offset: offset, count: count),
                                        payloadHash: try payloadHash(ofFile: path, offset: offset, count: count)))
        return try partETag(response, number: number, key: key)
    }

    /// The SigV4 payload hash of `count` bytes of the file at `path` from `offset`: read here once
    /// more (from the page cache, as the file was just written) unless payloads go unsigned.
    func payloadHash(ofFile path: String, offset: Int64, count: Int64) throws -> String {
        guard configuration.signPayload else { return SigV4Signer.unsignedPayload }
        let file = try PosixFile.openFile(path, flags: O_RDONLY)
        defer { file.closeFile() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var digest = Digest()
        var done: Int64 = 0
        while done < count {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(Int64(buffer.count), count - done))])
            guard try file.readFully(into: chunk, at: offset + done) == chunk.count else {
                throw StoreError.io(operation: "read (the file shrank during the upload)", path: path, code: EIO)
            }
            digest.update(UnsafeRawBufferPointer(chunk))
            done += Int64(chunk.count)
        }
        return digest.finalize()
    }

    /// Parts uploading on a concurrent queue, at most `slots` at once.
    /// The first failure stops new parts from starting.
    private final class PartUploads: @unchecked Sendable {
        private let slots: DispatchSemaphore
        private let group = DispatchGroup()
        private let queue = DispatchQueue(label: "tlab.s3.parts", attributes: .concurrent)
        private let lock = NSLock()
        private var etags: [Int: String] = [:]
        private var error: Error?

        init(slots: Int) { self.slots = DispatchSemaphore(value: slots) }

        var failed: Bool { lock.withLock { error != nil } }

        func fail(_ error: Error) { lock.withLock { if self.error == nil { self.error = error } } }

        /// Waits for a free slot, then uploads part `number` with `upload` on the queue.
        func start(_ number: Int, _ upload: @escaping @Sendable () throws -> String) {
            slots.wait()
            group.enter()
            queue.async {
                defer {
                    self.slots.signal()
                    self.group.leave()
                }
                guard !self.failed else { return }
                do {
                    let etag = try upload()
                    self.lock.withLock { self.etags[number] = etag }
                } catch {
                    self.fail(error)
                }
            }
        }

        /// Waits for every started part; the parts in order, or the first error.
        func finish() throws -> [(number: Int, etag: String)] {
            group.wait()
            return try lock.withLock {
                if let error { throw error }
                return etags.sorted { $0.key < $1.key }.map { (number: $0.key, etag: $0.value) }
            }
        }
    }

    /// Starts a multipart upload of object `key`; returns its upload id.
    public func createMultipartUpload(_ key: String) throws -> String {
        // An empty body rather than none, so the POST carries Content-Length: 0, which S3 requires.
        let response = try perform(Call(operation: "CREATE MULTIPART UPLOAD", method: "POST", key: key,
                                        query: [(name: "uploads", value: "")], body: .data(Data())))
        guard let uploadID = XMLElement.parse(response.body)?["UploadId"], !uploadID.isEmpty else {
            throw malformed("CREATE MULTIPART UPLOAD", key: key, "no UploadId in the answer")
        }
        return uploadID
    }

    /// Uploads part `number` (1-based) of an upload; returns the part's ETag.
    public func uploadPart(_ key: String, uploadID: String, number: Int, data: Data) throws -> String {
        let response = try perform(Call(operation: "UPLOAD PART \(number)", method: "PUT", key: key,
                                        query: Self.partQuery(number, uploadID: uploadID),
                                        body: .data(data), payloadHash: payloadHash(of: data)))
        return try partETag(response, number: number, key: key)
    }

    private static func partQuery(_ number: Int, uploadID: String) -> [(name: String, value: String)] {
        [(name: "partNumber", value: String(number)), (name: "uploadId", value: uploadID)]
    }

    private func partETag(_ response: S3Transport.Response, number: Int, key: String) throws -> String {
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
        // Joining takes a while for large objects ("several minutes", says the S3 reference; moto
        // took over a minute for 1 GiB on a busy machine): wait well beyond the usual idle time.
        let call = Call(operation: "COMPLETE MULTIPART UPLOAD", method: "POST", key: key,
                        query: [(name: "uploadId", value: uploadID)],
                        headers: [(name: "content-type", value: "application/xml")],
                        body: .data(body), payloadHash: payloadHash(of: body),
                        timeout: max(configuration.idleTimeout, 900))
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
