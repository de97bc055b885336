// `tlab bench images DIR`: decode and decode + resize throughput on one core for the JPEG and PNG
// files of a folder; `benchmarks/run-images.sh` runs it alternately with the Pillow reference.
import ArgumentParser
import Benchmarks
import Datasets
import Foundation
import Pipeline

struct BenchImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Images/s of decoding, and of decoding and resizing, JPEG and PNG files on one core.",
        discussion: """
            The files of FOLDER (*.jpg, *.jpeg, *.png) are read into memory first, so only decoding \
            (libjpeg-turbo, libpng) and resizing (antialiased bilinear, as preprocess does) are timed, \
            on one thread: the figures are per core. Each case: one untimed pass over the files, then \
            --runs timed passes; the median pass counts. --write-corpus first fills FOLDER with \
            photo-like 640x480 test images. --dump writes every resized image as raw RGB, for \
            benchmarks/reference/bench_pillow_images.py --compare.

            EXAMPLES:
              tlab bench images /tmp/tlab-image-corpus --write-corpus
              tlab bench images /tmp/tlab-image-corpus --side 224 --mode crop --runs 5 --json
              benchmarks/run-images.sh 5
            """)

    @Argument(help: ArgumentHelp("Folder of JPEG and PNG files.", valueName: "folder"), completion: .directory)
    var folder: String

    @Flag(help: "Write 40 photo-like JPEG and 40 PNG files of 640x480 into FOLDER first.")
    var writeCorpus = false

    @Option(help: "Side of the square the images are resized to.")
    var side = 224

    @Option(help: "crop (shorter side to size, centre kept) or stretch.")
    var mode: String = ResizeMode.crop.rawValue

    @Option(help: "Timed passes per case.")
    var runs = 5

    @Option(help: ArgumentHelp("Write each resized image to this folder as raw RGB.", valueName: "folder"))
    var dump: String?

    @Flag(help: "Print one JSON array instead of a table.")
    var json = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, got \(runs)") }
        guard (1...4096).contains(side) else { throw ValidationError("--side must be in 1...4096, got \(side)") }
        guard ResizeMode(rawValue: mode) != nil else { throw ValidationError("--mode must be crop or stretch, got \(mode)") }
    }

    func run() throws {
        if writeCorpus { try ImageBenchmark.writeCorpus(to: folder) }
        let results = try ImageBenchmark.measure(folder: folder, side: side, mode: ResizeMode(rawValue: mode)!, runs: runs, dump: dump)
        guard !results.isEmpty else { throw ValidationError("\(folder) holds no .jpg, .jpeg or .png files; add --write-corpus") }
        if json { return try JSONOutput.print(results) }
        print("case                                images   Mpx    images/s   Mpx/s   median ms  (min..max ms)   one thread"
              + "  \(TLab.kernelsField)")
        for r in results {
            print(r.name.padding(toLength: 34, withPad: " ", startingAt: 0)
                  + String(format: " %6d %6.1f %10.1f %7.1f %11.1f  (%.1f..%.1f)", r.images, r.megapixels, r.imagesPerSecond,
                           r.megapixelsPerSecond, r.seconds[0] * 1000, r.seconds[1] * 1000, r.seconds[2] * 1000))
        }
    }
}
