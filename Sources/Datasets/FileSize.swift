// The size of a file as limits and pins need it: of the file a path leads to (a symbolic link's
// target, not the link), and an error rather than a guess when it cannot be read.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The size in bytes of the file at `path`, following symbolic links; `DatasetError.unreadable`
/// naming the file if it cannot be found out (a size read as 0 would lift a ratio limit's meaning
/// and pin a file at 0 bytes).
package func fileBytes(_ path: String) throws -> Int64 {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw DatasetError.unreadable(file: path, reason: "its size cannot be read (\(String(cString: strerror(errno))))")
    }
    return Int64(info.st_size)
}
