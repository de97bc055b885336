// Which launcher started a process, read from its environment; the jobs themselves are in
// TlabTests/MPIJobTests (real mpirun).
import MPITransport
import XCTest

final class MPILaunchTests: XCTestCase {
    func testAProcessStartedByHandIsAlone() throws {
        XCTAssertEqual(try MPILaunch.detect(["PATH": "/usr/bin", "SLURM_PROCID": "0", "SLURM_NTASKS": "8"]), .alone)
    }

    func testMpirunPMIxAndPMI2AreRecognised() throws {
        for variable in ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"] {
            guard case .rank(let launcher) = try MPILaunch.detect([variable: "1"]) else { return XCTFail(variable) }
            XCTAssertTrue(launcher.contains(variable), launcher)
        }
    }

    /// Inside `srun` (a job step) several tasks without PMI would each run the whole pipeline.
    func testSrunTasksWithoutAnMPIPluginAreRefused() {
        XCTAssertThrowsError(try MPILaunch.detect(["SLURM_STEP_ID": "0", "SLURM_STEP_NUM_TASKS": "4"])) { error in
            XCTAssertEqual(error as? MPIError, .srunWithoutPMI(tasks: 4))
            XCTAssertTrue("\(error)".contains("srun --mpi=pmix"), "\(error)")
        }
        XCTAssertEqual(try MPILaunch.detect(["SLURM_STEP_ID": "0", "SLURM_STEP_NUM_TASKS": "1"]), .alone)
    }

    func testTheLibraryCanBeNamed() {
        XCTAssertEqual(MPILaunch.library([:]), "libmpi.so.40")
        XCTAssertEqual(MPILaunch.library(["TLAB_LIBMPI": "/opt/openmpi/lib/libmpi.so.40"]), "/opt/openmpi/lib/libmpi.so.40")
    }
}
