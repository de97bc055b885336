// The `tlab` command: thin subcommands over the Pipeline and Store modules, and the one place every
// error leaves the program (see ErrorPresentation.swift).
import ArgumentParser
import Pipeline

@main
struct TLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlab",
        abstract: "Reproducible transfer-learning experiments on CNNs.",
        discussion: """
            Stages run with cache reuse: outputs are content-addressed blobs in the artifact store, and what \
            ran on what is recorded in its lineage database.

            \(HelpText.exitStatus)

            ENVIRONMENT:
              TLAB_STORE  the store (a folder, or a shared store's .yaml file) when --store is
                          not given (default ./artifacts)
              PGPASSWORD, PGPASSFILE, PG*  a shared store's PostgreSQL credentials (libpq's own)
              NO_COLOR    any non-empty value turns colour off (used on a terminal only)
              TLAB_DATA_MEMORY_MIB  a data set split up to this size is read into memory, a larger
                          one from a scratch file on disk (default 512; 0: always from disk)
              TLAB_PREFETCH  batches read ahead while the network computes (default 2; 0: none)
              TLAB_KERNELS  the engine's kernel path: avx2, portable (x86-64) or neon (aarch64);
                          default the fastest this CPU runs (tlab --version names it)
                          (none of these three changes a result, only memory and speed)

            SHELL COMPLETION:
              tlab --generate-completion-script bash > ~/.tlab-completion.bash
              echo 'source ~/.tlab-completion.bash' >> ~/.bashrc
              (zsh and fish: --generate-completion-script zsh, fish)

            EXAMPLES:
              tlab run                     run pipelines/fashion-transfer.yaml
              tlab status pipelines/smoke.yaml -S finetune.lr=3e-4
              tlab lineage reports/smoke/report.md
              tlab verify --store /data/tlab-artifacts
            """,
        version: "tlab \(toolVersion) (engine \(StageKind.engineVersion), kernels \(kernelsDescription))",
        subcommands: [
            RunCommand.self, CheckCommand.self, StatusCommand.self, DAGCommand.self, ReportCommand.self, ReproduceCommand.self,
            LineageCommand.self, RunsCommand.self, ShowCommand.self, ExportCommand.self, ExportModelCommand.self,
            VerifyCommand.self, GCCommand.self, WorkerCommand.self, PushCommand.self, PullCommand.self,
            ModelCommand.self, SampleImagesCommand.self, ServeCommand.self, Bench.self, MPICheckCommand.self,
        ]
    )

    /// Recorded with every run and shown in reports' provenance.
    static let toolVersion = "0.1.0"

    /// The engine's kernel path and why, e.g. "avx2 (fastest this CPU runs)" (`main` has refused an
    /// invalid TLAB_KERNELS before anything reads this).
    static var kernelsDescription: String { (try? EngineSettings.kernels()) ?? "invalid TLAB_KERNELS" }

    /// "kernels=avx2 (fastest this CPU runs)": every benchmark's header says which kernels it timed.
    static var kernelsField: String { "kernels=\(kernelsDescription)" }

    /// Parses and runs the command, sending every error through `ErrorPresentation`, so a mistake
    /// ends as one line on stderr and a documented exit code, whatever threw it.
    static func main() {
        do {
            // A TLAB_KERNELS naming a path this CPU cannot run ends here, before any kernel would stop the process.
            _ = try EngineSettings.kernels()
            var command = try parseAsRoot()
            try command.run()
        } catch {
            ErrorPresentation.exit(with: error)
        }
    }
}

/// Help text shared by several commands.
enum HelpText {
    static let exitStatus = """
        EXIT STATUS:
          0  success
          1  failure: a stage failed, verify found damage, or a mistake named
             on stderr (a missing pipeline file; an unknown stage, hash or run;
             a folder that is not a store; an invalid pipeline file)
          2  usage error: the command line is wrong (an unknown option, a
             missing argument, a bad value)
        """
}
