import Foundation
import XCTest
@testable import Store

final class SafeTensorsTests: XCTestCase {
    /// `w` = [[1, 2, 3], [4, 5, 6]] as little-endian float32.
    let wBytes = Data([1, 2, 3, 4, 5, 6].flatMap { (v: Float) in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })

    func testEncodingMatchesAHandBuiltFile() throws {
        let header = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#
        XCTAssertEqual(header.utf8.count, 88, "already a multiple of 8: no padding")
        let expected = Data([88, 0, 0, 0, 0, 0, 0, 0]) + Data(header.utf8) + wBytes
        let archive = TensorArchive(tensors: [NamedTensor(name: "w", dtype: .f32, shape: [2, 3], data: wBytes)],
                                    metadata: ["format": "pt"])
        XCTAssertEqual(try SafeTensors.encode(archive), expected)
        XCTAssertEqual(try SafeTensors.decode(expected), archive)
    }

    func testLayoutSortsByDTypeSizeThenNameAndPadsTheHeaderWithSpaces() throws {
        // The reference writer puts the I64 first, then F16, then U8, whatever order they are given in.
        let json = #"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"c":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"b":{"dtype":"U8","shape":[3],"data_offsets":[12,15]}}"#
        XCTAssertEqual(json.utf8.count, 162)
        let a = Data([0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])   // -2
        let c = Data([0x00, 0x3C, 0x00, 0xC0])                           // 1.0, -2.0 as float16
        let b = Data([1, 2, 3])
        let expected = Data([168, 0, 0, 0, 0, 0, 0, 0]) + Data(json.utf8) + Data("      ".utf8) + a + c + b
        let archive = TensorArchive(tensors: [
            NamedTensor(name: "b", dtype: .u8, shape: [3], data: b),
            NamedTensor(name: "a", dtype: .i64, shape: [1], data: a),
            NamedTensor(name: "c", dtype: .f16, shape: [2], data: c),
        ])
        XCTAssertEqual(try SafeTensors.encode(archive), expected)
        XCTAssertEqual(try SafeTensors.decode(expected).tensors.map(\.name), ["a", "c", "b"])
    }

    func testEveryDTypeScalarsAndEmptyTensorsRoundTrip() throws {
        var tensors: [NamedTensor] = TensorDType.allCases.map { dtype in
            NamedTensor(name: "t_\(dtype.rawValue)", dtype: dtype, shape: [2, 3], data: testBytes(6 * dtype.byteSize))
        }
        tensors.append(NamedTensor(name: "scalar", dtype: .i32, shape: [], data: Data([7, 0, 0, 0])))
        tensors.append(NamedTensor(name: "empty", dtype: .f32, shape: [0, 4], data: Data()))
        tensors.append(NamedTensor(name: "quote\"and\\slash\nü", dtype: .u8, shape: [1], data: Data([9])))
        let archive = TensorArchive(tensors: tensors, metadata: ["epochs": "3", "note": "tab\there"])
        let decoded = try SafeTensors.decode(try SafeTensors.encode(archive))
        XCTAssertEqual(decoded.metadata, archive.metadata)
        XCTAssertEqual(Set(decoded.tensors.map(\.name)), Set(tensors.map(\.name)))
        for t in tensors { XCTAssertEqual(decoded[t.name], t) }
    }

    func testStreamingDecodeWritesIntoCallerMemoryFromSmallPieces() throws {
        let big = testBytes(4000 * 4)
        let archive = TensorArchive(tensors: [
            NamedTensor(name: "w", dtype: .f32, shape: [2, 3], data: wBytes),
            NamedTensor(name: "big", dtype: .f32, shape: [4000], data: big),
            NamedTensor(name: "skipped", dtype: .u8, shape: [5], data: Data([1, 2, 3, 4, 5])),
        ])
        let bytes = try SafeTensors.encode(archive)
        let bigOut = UnsafeMutableRawBufferPointer.allocate(byteCount: big.count, alignment: 16)
        let wOut = UnsafeMutableRawBufferPointer.allocate(byteCount: 24, alignment: 16)
        defer { bigOut.deallocate(); wOut.deallocate() }
        var asked: [String] = []
        let decoder = SafeTensorsDecoder(totalBytes: Int64(bytes.count)) { entry in
            asked.append(entry.name)
            switch entry.name {
            case "big": return bigOut
            case "w": return wOut
            default: return nil
            }
        }
        try bytes.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: 7) {
                try decoder.consume(UnsafeRawBufferPointer(rebasing: raw[start..<min(start + 7, raw.count)]))
            }
        }
        let header = try decoder.finish()
        XCTAssertEqual(asked, ["big", "w", "skipped"])
        XCTAssertEqual(header.fileBytes, Int64(bytes.count))
        XCTAssertEqual(Data(bigOut), big)
        XCTAssertEqual(Data(wOut), wBytes)
    }

    func testTensorBlobsRoundTripThroughTheStoreAndDetectCorruption() throws {
        let store = try BlobStore.open(root: try makeScratchFolder())
        let weights = testBytes(1 << 20, seed: 11)
        let info = try weights.withUnsafeBytes { w in
            try store.putTensors([TensorSource(name: "conv1.weight", dtype: .f32, shape: [256, 1024], bytes: w)],
                                 metadata: ["stage": "pretrain"])
        }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: weights.count, alignment: 64)
        defer { out.deallocate() }
        let header = try store.readTensors(info.hash) { entry in
            XCTAssertEqual(entry.shape, [256, 1024])
            return out
        }
        XCTAssertEqual(header.metadata, ["stage": "pretrain"])
        XCTAssertEqual(info.rawBytes, header.fileBytes)
        XCTAssertEqual(Data(out), weights)
        XCTAssertEqual(try store.readTensors(info.hash)["conv1.weight"]?.data, weights)

        try flipByte(at: Int(info.storedBytes) / 2, of: try store.path(of: info.hash))
        XCTAssertThrowsError(try store.readTensors(info.hash) { _ in out })
    }

    func testPythonSafetensorsLoadsADecompressedBlobUnchanged() throws {
        guard (try? runProgram("/usr/bin/env", ["python3", "-c", "import safetensors, numpy"]).status) == 0 else {
            throw XCTSkip("python3 with safetensors and numpy is not installed")
        }
        let folder = try makeScratchFolder()
        let store = try BlobStore.open(root: folder.appendingPathComponent("store"))
        let archive = TensorArchive(tensors: [
            NamedTensor(name: "w", dtype: .f32, shape: [2, 3], data: wBytes),
            NamedTensor(name: "labels", dtype: .i64, shape: [2], data: Data([3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0])),
            NamedTensor(name: "pixels", dtype: .u8, shape: [3], data: Data([0, 128, 255])),
        ], metadata: ["format": "np"])
        let info = try store.putTensors(archive)
        let file = folder.appendingPathComponent("weights.safetensors")
        XCTAssertEqual(try runProgram("/usr/bin/zstd", ["-q", "-d", try store.path(of: info.hash).path, "-o", file.path]).status, 0)
        let script = """
        import sys
        from safetensors.numpy import load_file, save
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        with safe_open(sys.argv[1], "np") as f: meta = f.metadata()
        print(t["w"].tolist(), t["labels"].tolist(), t["pixels"].tolist(), meta)
        again = save(t, metadata=meta)
        print(again == open(sys.argv[1], "rb").read())
        """
        let run = try runProgram("/usr/bin/env", ["python3", "-c", script, file.path])
        XCTAssertEqual(run.status, 0)
        XCTAssertEqual(String(decoding: run.output, as: UTF8.self),
                       "[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] [3, 9] [0, 128, 255] {'format': 'np'}\nTrue\n")
    }

    // MARK: Bad input

    /// Safetensors bytes with the given JSON header (unpadded) and data.
    func file(_ json: String, data: Data = Data()) -> Data {
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Data($0) } + Data(json.utf8) + data
    }

    func assertRejected(_ bytes: Data, _ expected: SafeTensorsError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? SafeTensorsError, expected, file: file, line: line)
        }
    }

    func testMalformedHeadersAreTypedErrors() {
        let four = Data(count: 4)
        assertRejected(Data([1, 2, 3]), .truncated(expectedBytes: 8, actualBytes: 3))
        assertRejected(Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + four,
                       .headerTooLarge(bytes: 0x7FFF_FFFF_FFFF_FFFF, limit: 4))
        XCTAssertThrowsError(try SafeTensors.decode(file("{not json"))) { error in
            guard case .headerNotJSON? = error as? SafeTensorsError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SafeTensors.decode(file("[1,2]"))) { error in
            XCTAssertEqual(error as? SafeTensorsError, .headerNotJSON("the top level is not an object"))
        }
        assertRejected(file(#"{"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}"#, data: four),
                       .unknownDType(tensor: "x", dtype: "Q7"))
        assertRejected(file(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four),
                       .sizeMismatch(tensor: "x", shape: [2], dtype: .f32, expectedBytes: 8, actualBytes: 4))
        // A gap before "y", an overlap of "y" with "x", and a range past the end of the file.
        assertRejected(file(#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"y":{"dtype":"U8","shape":[1],"data_offsets":[3,4]}}"#, data: four),
                       .invalidOffsets(tensor: "y", begin: 3, end: 4, expectedBegin: 2))
        assertRejected(file(#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"y":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, data: four),
                       .invalidOffsets(tensor: "y", begin: 1, end: 3, expectedBegin: 2))
        let short = #"{"x":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#
        let headerEnd = Int64(8 + short.utf8.count)
        assertRejected(file(short, data: four), .truncated(expectedBytes: headerEnd + 8, actualBytes: headerEnd + 4))
        assertRejected(file(#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: four), .trailingBytes(2))
        assertRejected(file(#"{"x":{"dtype":"U8","shape":[true],"data_offsets":[0,1]}}"#, data: Data([1])),
                       .invalidField(tensor: "x", field: "shape", problem: "must be an array of non-negative integers"))
        assertRejected(file(#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, data: Data([1])),
                       .invalidField(tensor: "x", field: "data_offsets", problem: "must be two non-negative integers [begin, end]"))
        assertRejected(file(#"{"__metadata__":{"epochs":3}}"#),
                       .invalidField(tensor: "__metadata__", field: "epochs", problem: "must be a string"))
    }

    func testStreamingDecoderRefusesAnEmptyHeaderAndShortInput() throws {
        let decoder = SafeTensorsDecoder { _ in nil }
        XCTAssertThrowsError(try Data(count: 8).withUnsafeBytes { try decoder.consume($0) }) { error in
            guard case .headerNotJSON? = error as? SafeTensorsError else { return XCTFail("\(error)") }
        }
        let short = SafeTensorsDecoder { _ in nil }
        try Data([16, 0, 0]).withUnsafeBytes { try short.consume($0) }
        XCTAssertThrowsError(try short.finish()) { error in
            XCTAssertEqual(error as? SafeTensorsError, .truncated(expectedBytes: 8, actualBytes: 3))
        }
    }

    func testEncoderRefusesInconsistentTensors() {
        let two = Data([1, 2])
        XCTAssertThrowsError(try SafeTensors.encode(TensorArchive(tensors: [NamedTensor(name: "x", dtype: .f32, shape: [1], data: two)]))) { error in
            XCTAssertEqual(error as? SafeTensorsError, .sizeMismatch(tensor: "x", shape: [1], dtype: .f32, expectedBytes: 4, actualBytes: 2))
        }
        let duplicate = NamedTensor(name: "x", dtype: .u8, shape: [2], data: two)
        XCTAssertThrowsError(try SafeTensors.encode(TensorArchive(tensors: [duplicate, duplicate]))) { error in
            XCTAssertEqual(error as? SafeTensorsError, .duplicateName("x"))
        }
    }
}
