// A push decoder for safetensors bytes arriving in pieces (from a streaming blob read): it parses the
// header, then copies each tensor's bytes straight into memory the caller provides.
import Foundation

/// Feed it the bytes of a safetensors file in order with `consume`, then call `finish`. Once the header
/// is complete, `destination` is asked once per tensor, in data order, for where its bytes go: return
/// a buffer of at least `entry.byteCount` bytes, or nil to skip that tensor. Memory use is the header
/// plus whatever the destinations are, never a second copy of the data.
public final class SafeTensorsDecoder {
    private let destination: (TensorEntry) throws -> UnsafeMutableRawBufferPointer?
    private let totalBytes: Int64?
    private var pending = Data()
    /// The parsed header, once its bytes have all arrived.
    public private(set) var header: SafeTensorsHeader?
    private var targets: [UnsafeMutableRawBufferPointer?] = []
    private var consumed: Int64 = 0
    /// Index of the tensor the next data byte belongs to.
    private var current = 0

    /// `totalBytes`, when known, lets an absurd header length be refused before it is buffered.
    public init(totalBytes: Int64? = nil,
                destination: @escaping (TensorEntry) throws -> UnsafeMutableRawBufferPointer?) {
        self.totalBytes = totalBytes
        self.destination = destination
    }

    /// Takes the next bytes of the file, in order, in pieces of any size.
    public func consume(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let header else {
                rest = try consumeHeader(rest)
                continue
            }
            let dataPosition = consumed - 8 - header.headerBytes
            while current < header.entries.count && header.entries[current].dataOffsets.upperBound <= dataPosition {
                current += 1
            }
            guard current < header.entries.count else {
                throw SafeTensorsError.trailingBytes(dataPosition + Int64(rest.count) - header.dataBytes)
            }
            let entry = header.entries[current]
            let take = Int(min(Int64(rest.count), entry.dataOffsets.upperBound - dataPosition))
            if let target = targets[current] {
                let offset = Int(dataPosition - entry.dataOffsets.lowerBound)
                UnsafeMutableRawBufferPointer(rebasing: target[offset..<offset + take])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            }
            rest = rest.dropFirst(take)
            consumed += Int64(take)
        }
    }

    /// Checks the bytes ended exactly after the last tensor and returns the header.
    @discardableResult
    public func finish() throws -> SafeTensorsHeader {
        guard let header, consumed == header.fileBytes else {
            let expected = try header?.fileBytes ?? Int64(pending.count < 8 ? 8 : headerEnd())
            throw SafeTensorsError.truncated(expectedBytes: expected, actualBytes: consumed)
        }
        return header
    }

    /// Buffers the length prefix and the JSON; parses once complete. Returns the unused bytes.
    private func consumeHeader(_ bytes: Slice<UnsafeRawBufferPointer>) throws -> Slice<UnsafeRawBufferPointer> {
        let wanted = pending.count < 8 ? 8 : try headerEnd()
        let take = min(bytes.count, wanted - pending.count)
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.prefix(take)))
        consumed += Int64(take)
        if pending.count >= 8, pending.count == (try headerEnd()) {
            let parsed = try SafeTensorsHeader.parse(json: pending.dropFirst(8))
            if let total = totalBytes, total != parsed.fileBytes {
                throw total < parsed.fileBytes
                    ? SafeTensorsError.truncated(expectedBytes: parsed.fileBytes, actualBytes: total)
                    : SafeTensorsError.trailingBytes(total - parsed.fileBytes)
            }
            targets = try parsed.entries.map { entry in
                guard let target = try destination(entry) else { return nil }
                guard target.count >= entry.byteCount else {
                    throw SafeTensorsError.destinationTooSmall(tensor: entry.name, neededBytes: entry.byteCount,
                                                               givenBytes: target.count)
                }
                return target
            }
            header = parsed
            pending = Data()
        }
        return bytes.dropFirst(take)
    }

    /// Where the JSON header ends, from the buffered length prefix.
    private func headerEnd() throws -> Int {
        Int(8 + (try SafeTensors.headerLength(prefix: pending.prefix(8), available: totalBytes)))
    }
}
