// What can be wrong with an image folder as a whole; each message names the folder or file and says
// what a valid layout looks like.
import Store

public enum ImageFolderError: Error, Equatable, CustomStringConvertible {
    /// The folder (or one inside it) cannot be listed.
    case unreadableFolder(path: String, reason: String)
    /// The path is missing, or a file where a folder (or a known archive) was expected.
    case notAFolder(path: String, reason: String)
    /// No subfolder holds images.
    case noClassFolders(root: String, ignored: Int)
    /// Classification needs two classes at least.
    case singleClass(root: String, className: String)
    /// A class folder holds no image.
    case emptyClass(root: String, className: String, ignored: Int)
    /// The labels file names a file the folder does not have.
    case missingListedFile(labels: String, file: String, root: String)
    /// The test folder has classes the training folder lacks.
    case unknownTestClasses(root: String, classes: [String], trainClasses: [String])
    /// A stage's folder content changed between its key and its run (or while it ran).
    case changedWhileRunning(path: String)
    /// One image cannot be decoded and `skip_bad_images` is off.
    case badImage(ImageError)

    /// One line, with the names in it escaped (see `printable`).
    public var description: String { printable(message, limit: 4000) }

    private var message: String {
        switch self {
        case let .unreadableFolder(path, reason):
            return "cannot read folder \(path): \(reason); check that it exists and that you may read it"
        case let .notAFolder(path, reason):
            return "\(path) \(reason); image-folder reads a folder of class folders, or a .tar, .tar.gz or .zip of one"
        case let .noClassFolders(root, ignored):
            return "\(root) has no class folders holding images (.png, .jpg, .jpeg)"
                + (ignored > 0 ? "; \(ignored) other files were ignored" : "")
                + "; lay it out as \(root)/<class>/<image>, or give a labels CSV"
        case let .singleClass(root, name):
            return "\(root) has one class only (\(name)); classification needs at least two class folders"
        case let .emptyClass(root, name, ignored):
            return "class folder \(root)/\(name) holds no images (.png, .jpg, .jpeg)"
                + (ignored > 0 ? ", only \(ignored) other files" : "") + "; add images or remove the folder"
        case let .missingListedFile(labels, file, root):
            return "\(labels) lists \(file), which is not an image file in \(root)"
        case let .unknownTestClasses(root, classes, train):
            return "test folder \(root) has classes \(classes.joined(separator: ", ")) that the training folder lacks;"
                + " training classes: \(train.joined(separator: ", "))"
        case let .badImage(error):
            return "\(error); fix or remove the file, or set skip_bad_images: true in the preprocess stage to leave it out"
        case let .changedWhileRunning(path):
            return "\(path) changed while the stage ran (a file's content no longer matches the hash its key was computed"
                + " from); run again once it stays unchanged"
        }
    }
}
