// What can go wrong between tlab and MPI, in terms a user can act on.

/// An MPI job that cannot start or go on.
public enum MPIError: Error, Equatable, CustomStringConvertible {
    /// A launcher started this process as one rank of a job, but `library` could not be loaded.
    case libraryUnavailable(library: String, reason: String, launcher: String)
    /// `function` returned MPI error `code`.
    case call(function: String, code: Int32)
    /// The library granted thread level `provided` (0 single … 3 multiple); the watchdog needs multiple.
    case threadLevel(provided: Int32)
    /// srun started `tasks` tasks without a process-management interface MPI can join.
    case srunWithoutPMI(tasks: Int)
    /// One message of `bytes` bytes: MPI counts are 32-bit.
    case messageTooLarge(bytes: Int)
    /// Ranks disagree on what they exchange (`what`): a bug, or ranks running different programs.
    case mismatch(String)

    public var description: String {
        switch self {
        case let .libraryUnavailable(library, reason, launcher):
            return "this process was started by \(launcher), but \(library) could not be loaded (\(reason)); "
                + "install Open MPI (Debian: openmpi-bin libopenmpi-dev), or set TLAB_LIBMPI to the path of libmpi.so.40"
        case let .call(function, code):
            return "\(function) failed with MPI error \(code)"
        case let .threadLevel(provided):
            return "Open MPI granted thread level \(provided); tlab needs MPI_THREAD_MULTIPLE (3), which Open MPI 4 and 5 "
                + "grant unless built without it"
        case let .srunWithoutPMI(tasks):
            return "srun started \(tasks) tasks, but without an MPI plugin they cannot find each other; "
                + "run them as `srun --mpi=pmix tlab run …` (see deploy/slurm/tlab-mpi.sbatch)"
        case let .messageTooLarge(bytes):
            return "one MPI message of \(bytes) bytes is more than the 2147483647 an MPI count can say"
        case let .mismatch(what):
            return "the ranks of this job disagree: \(what)"
        }
    }
}
