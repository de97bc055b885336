// `tlab sample-images DIR`: a generated image folder (class folders of PNG and JPEG files of every
// kind) to try the image-folder pipeline on without a data set of one's own.
import ArgumentParser
import Datasets
import Foundation
import Pipeline

struct SampleImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-images",
        abstract: "Write a small image folder of class folders holding PNG and JPEG files of every kind.",
        discussion: """
            The images are the synthetic task's shapes and textures (square, frame, disc, ring, stripes, …) \
            at mixed sizes, written in turn as RGB, grayscale, RGBA, palette and 16-bit PNGs and as \
            baseline, grayscale and EXIF-rotated JPEGs. With --bad-files the first class also gets a \
            corrupt JPEG, a truncated PNG and a text file, as real folders do. The same seed writes the \
            same files.

            EXAMPLES:
              tlab sample-images data/sample-images --bad-files
              tlab run pipelines/image-folder.yaml
              tlab sample-images /tmp/pets --classes 3 --per-class 200 --min-side 64 --max-side 160
            """)

    @Argument(help: ArgumentHelp("Folder to write the class folders into (created if missing).", valueName: "folder"),
              completion: .directory)
    var folder: String

    @Option(help: "Number of classes (2...10).")
    var classes = 5

    @Option(help: "Images per class.")
    var perClass = 60

    @Option(help: "Smallest side of an image, in pixels (at least 12).")
    var minSide = 24

    @Option(help: "Largest side of an image, in pixels.")
    var maxSide = 64

    @Option(help: "Seed of the images' classes, sizes and kinds.")
    var seed: UInt64 = 0

    @Flag(help: "Also write a corrupt JPEG, a truncated PNG and a text file into the first class.")
    var badFiles = false

    func validate() throws {
        guard (2...10).contains(classes) else { throw ValidationError("--classes must be in 2...10, got \(classes)") }
        guard perClass >= 1 else { throw ValidationError("--per-class must be at least 1, got \(perClass)") }
        guard minSide >= 12, maxSide >= minSide, maxSide <= 4096 else {
            throw ValidationError("--min-side must be at least 12 and --max-side between it and 4096 (got \(minSide), \(maxSide))")
        }
    }

    func run() throws {
        let summary = try SampleImageFolder.write(to: folder, classes: classes, perClass: perClass, minSide: minSide,
                                                  maxSide: maxSide, seed: seed, badFiles: badFiles)
        print("wrote \(summary.images) images in \(classes) class folders to \(folder)"
              + (badFiles ? " (and \(summary.badFiles.joined(separator: ", ")), \(summary.otherFiles.joined(separator: ", ")))" : ""))
    }
}
