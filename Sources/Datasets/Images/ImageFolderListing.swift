// Which files of an image folder are its images, and their classes: class subfolders (Keras's
// `image_dataset_from_directory`, torchvision's `ImageFolder`), searched recursively, or a labels
// CSV. The download stage packs exactly these files and its key hashes exactly these files.
import Foundation

/// The images of a folder, by class.
package struct ImageFolderListing: Equatable {
    package struct File: Equatable {
        /// Relative to the root, `/`-separated.
        package let path: String
        package let label: Int

        package init(path: String, label: Int) {
            self.path = path
            self.label = label
        }
    }

    package let root: String
    /// Sorted (by Unicode code points, as Python's `sorted`), or as the labels CSV orders them.
    package let classNames: [String]
    /// By label, then by path.
    package let files: [File]
    /// Files that are not images (by extension), relative to the root, sorted. Hidden files and
    /// folders (names starting with a dot) are not listed at all.
    package let ignored: [String]

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    static func isImage(_ name: String) -> Bool {
        imageExtensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// The class-folder layout of `root`: every visible subfolder is a class, its images (at any
    /// depth) are the class's examples; files directly in `root` are ignored.
    package static func classFolders(of root: String) throws -> ImageFolderListing {
        let (folders, topFiles) = try entries(of: root)
        var classNames: [String] = [], files: [File] = [], ignored = topFiles
        for folder in folders {
            let (images, others) = try filesBelow(root, folder)
            ignored += others
            guard !images.isEmpty else { throw ImageFolderError.emptyClass(root: root, className: folder, ignored: others.count) }
            files += images.map { File(path: $0, label: classNames.count) }
            classNames.append(folder)
        }
        guard !classNames.isEmpty else { throw ImageFolderError.noClassFolders(root: root, ignored: ignored.count) }
        guard classNames.count >= 2 else { throw ImageFolderError.singleClass(root: root, className: classNames[0]) }
        return ImageFolderListing(root: root, classNames: classNames, files: files, ignored: ignored.sorted(by: codePointOrder))
    }

    /// The files `labels` lists (paths relative to `root`), with its classes; `labelsName` names the
    /// CSV in errors. Images in the folder the CSV does not list are ignored.
    package static func labelled(_ root: String, by labels: LabelsCSV, labelsName: String) throws -> ImageFolderListing {
        let classNames = labels.classNames
        guard classNames.count >= 2 else { throw ImageFolderError.singleClass(root: root, className: classNames[0]) }
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        let (folders, topFiles) = try entries(of: root)
        var present = Set(topFiles.filter(isImage)), ignored = topFiles.filter { !isImage($0) }
        for folder in folders {
            let (images, others) = try filesBelow(root, folder)
            present.formUnion(images)
            ignored += others
        }
        var files: [File] = []
        for (file, label) in labels.entries {
            let path = file.hasPrefix("./") ? String(file.dropFirst(2)) : file
            guard isImage(path), present.remove(path) != nil else {
                throw ImageFolderError.missingListedFile(labels: labelsName, file: file, root: root)
            }
            files.append(File(path: path, label: index[label]!))
        }
        ignored += present  // images the CSV does not list
        files.sort { $0.label != $1.label ? $0.label < $1.label : codePointOrder($0.path, $1.path) }
        return ImageFolderListing(root: root, classNames: classNames, files: files, ignored: ignored.sorted(by: codePointOrder))
    }

    /// The visible subfolders and files directly in `folder`, each sorted.
    private static func entries(of folder: String) throws -> (folders: [String], files: [String]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw ImageFolderError.unreadableFolder(path: folder, reason: Self.reason(error))
        }
        var folders: [String] = [], files: [String] = []
        for name in names where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &isDirectory) else {
                continue  // a dangling symbolic link
            }
            if isDirectory.boolValue { folders.append(name) } else { files.append(name) }
        }
        return (folders.sorted(by: codePointOrder), files.sorted(by: codePointOrder))
    }

    /// The images and other files at any depth below `root/relative`, as paths relative to `root`.
    private static func filesBelow(_ root: String, _ relative: String) throws -> (images: [String], others: [String]) {
        let (folders, files) = try entries(of: (root as NSString).appendingPathComponent(relative))
        var images = files.filter(isImage).map { relative + "/" + $0 }
        var others = files.filter { !isImage($0) }.map { relative + "/" + $0 }
        for folder in folders {
            let below = try filesBelow(root, relative + "/" + folder)
            images += below.images
            others += below.others
        }
        return (images.sorted(by: codePointOrder), others)
    }

    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying?.code, underlying?.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(code))) }
        return (error as NSError).localizedDescription
    }
}

/// Sorts strings by Unicode code points (Python's `sorted`, so class indices match Keras and
/// torchvision), not by Swift's locale-independent but canonical-equivalence order.
package func codePointOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
}
