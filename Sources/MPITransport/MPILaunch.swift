// Whether this process is one rank of an MPI job, told by what the launcher put in its environment:
// mpirun (Open MPI), any PMIx launcher (srun --mpi=pmix, prterun), or PMI-2 (srun --mpi=pmi2).

/// How this process was launched.
public enum MPILaunch: Equatable, Sendable {
    /// Started on its own: no MPI, exactly as without it.
    case alone
    /// One rank of a job started by `launcher`.
    case rank(launcher: String)

    /// Reads the launch from `environment`. srun starting several tasks without an MPI plugin is an
    /// error (`MPIError.srunWithoutPMI`): each task would run the whole pipeline on its own.
    public static func detect(_ environment: [String: String]) throws -> MPILaunch {
        if environment["OMPI_COMM_WORLD_SIZE"] != nil { return .rank(launcher: "mpirun (OMPI_COMM_WORLD_SIZE is set)") }
        if environment["PMIX_RANK"] != nil { return .rank(launcher: "a PMIx launcher such as srun --mpi=pmix (PMIX_RANK is set)") }
        if environment["PMI_RANK"] != nil { return .rank(launcher: "a PMI-2 launcher such as srun --mpi=pmi2 (PMI_RANK is set)") }
        // A batch script's own shell has SLURM_NTASKS too but no step: only srun's tasks are in one.
        if environment["SLURM_STEP_ID"] != nil, let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap(Int.init), tasks > 1 {
            throw MPIError.srunWithoutPMI(tasks: tasks)
        }
        return .alone
    }

    /// The library to load: `TLAB_LIBMPI` when set, else Open MPI's soname.
    public static func library(_ environment: [String: String]) -> String {
        environment["TLAB_LIBMPI"] ?? "libmpi.so.40"
    }
}
