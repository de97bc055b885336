// Open MPI, loaded at run time: `tlab` builds and runs without MPI installed, and only a process
// started by mpirun or srun loads `libmpi.so.40` (docs/distributed.md says why not a separate product).
// The handles are Open MPI's (pointers to its predefined objects), so this speaks Open MPI's ABI only.
#ifndef LOADED_MPI_H
#define LOADED_MPI_H

#include <stddef.h>

/// Loads `library` (a path or soname) and resolves every function this target calls. Returns 0, or
/// -1 with the reason (dlerror's text, or the symbol that is missing) in `error`.
int loaded_mpi_load(const char *library, char *error, size_t error_size);

/// MPI_Init_thread asking for MPI_THREAD_MULTIPLE (the watchdog thread talks while the trainer waits);
/// `provided` gets the level the library grants. Returns the MPI error code.
int loaded_mpi_init(int *provided);
/// The level `loaded_mpi_init` must grant.
int loaded_mpi_thread_multiple(void);
int loaded_mpi_rank(int *rank);
int loaded_mpi_size(int *size);
/// This host's name as MPI sees it; `name` must hold `loaded_mpi_max_processor_name()` bytes.
int loaded_mpi_processor_name(char *name, int *length);
int loaded_mpi_max_processor_name(void);

/// An outstanding send or receive (Open MPI's MPI_Request, a pointer).
typedef void *loaded_mpi_request;

/// Nonblocking point-to-point bytes on MPI_COMM_WORLD.
int loaded_mpi_isend(const void *bytes, int count, int destination, int tag, loaded_mpi_request *request);
int loaded_mpi_irecv(void *bytes, int count, int source, int tag, loaded_mpi_request *request);
/// Sets `done` when `request` has completed (and frees it then).
int loaded_mpi_test(loaded_mpi_request *request, int *done);
/// Cancels and frees a request that will never complete (a heartbeat receive at the end).
int loaded_mpi_cancel(loaded_mpi_request *request);

/// Ends every process of the job with `code` (MPI_Abort on MPI_COMM_WORLD). Does not return.
void loaded_mpi_abort(int code);
int loaded_mpi_finalize(void);

#endif
