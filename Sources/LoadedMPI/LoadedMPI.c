// dlopen/dlsym over Open MPI's libmpi: its functions and the addresses of its predefined handles
// (`ompi_mpi_comm_world` is what mpi.h's MPI_COMM_WORLD names, `ompi_mpi_byte` MPI_BYTE).
#include "LoadedMPI.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// Open MPI's mpi.h values, fixed by its ABI (libmpi.so.40).
enum { OMPI_THREAD_MULTIPLE = 3, OMPI_MAX_PROCESSOR_NAME = 256 };

static void *comm_world;
static void *byte_type;
static int (*init_thread)(int *, char ***, int, int *);
static int (*comm_rank)(void *, int *);
static int (*comm_size)(void *, int *);
static int (*get_processor_name)(char *, int *);
static int (*isend)(const void *, int, void *, int, int, void *, loaded_mpi_request *);
static int (*irecv)(void *, int, void *, int, int, void *, loaded_mpi_request *);
static int (*test)(loaded_mpi_request *, int *, void *);
static int (*cancel)(loaded_mpi_request *);
static int (*request_free)(loaded_mpi_request *);
static int (*abort_job)(void *, int);
static int (*finalize)(void);

int loaded_mpi_load(const char *library, char *error, size_t error_size) {
    // RTLD_GLOBAL: Open MPI's own plugins (mca_*.so), which it dlopens later, resolve libmpi's
    // symbols from the global scope.
    void *handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        snprintf(error, error_size, "%s", dlerror());
        return -1;
    }
    struct { const char *name; void **slot; } symbols[] = {
        {"ompi_mpi_comm_world", &comm_world}, {"ompi_mpi_byte", &byte_type},
        {"MPI_Init_thread", (void **)&init_thread}, {"MPI_Comm_rank", (void **)&comm_rank},
        {"MPI_Comm_size", (void **)&comm_size}, {"MPI_Get_processor_name", (void **)&get_processor_name},
        {"MPI_Isend", (void **)&isend}, {"MPI_Irecv", (void **)&irecv}, {"MPI_Test", (void **)&test},
        {"MPI_Cancel", (void **)&cancel}, {"MPI_Request_free", (void **)&request_free},
        {"MPI_Abort", (void **)&abort_job}, {"MPI_Finalize", (void **)&finalize},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        *symbols[i].slot = dlsym(handle, symbols[i].name);
        if (!*symbols[i].slot) {
            snprintf(error, error_size, "%s has no symbol %s (not Open MPI 4 or 5?)", library, symbols[i].name);
            return -1;
        }
    }
    return 0;
}

int loaded_mpi_init(int *provided) { return init_thread(NULL, NULL, OMPI_THREAD_MULTIPLE, provided); }
int loaded_mpi_thread_multiple(void) { return OMPI_THREAD_MULTIPLE; }
int loaded_mpi_rank(int *rank) { return comm_rank(comm_world, rank); }
int loaded_mpi_size(int *size) { return comm_size(comm_world, size); }
int loaded_mpi_processor_name(char *name, int *length) { return get_processor_name(name, length); }
int loaded_mpi_max_processor_name(void) { return OMPI_MAX_PROCESSOR_NAME; }

int loaded_mpi_isend(const void *bytes, int count, int destination, int tag, loaded_mpi_request *request) {
    return isend(bytes, count, byte_type, destination, tag, comm_world, request);
}

int loaded_mpi_irecv(void *bytes, int count, int source, int tag, loaded_mpi_request *request) {
    return irecv(bytes, count, byte_type, source, tag, comm_world, request);
}

int loaded_mpi_test(loaded_mpi_request *request, int *done) { return test(request, done, NULL); }

int loaded_mpi_cancel(loaded_mpi_request *request) {
    int status = cancel(request);
    return status != 0 ? status : request_free(request);
}

void loaded_mpi_abort(int code) { abort_job(comm_world, code); }
int loaded_mpi_finalize(void) { return finalize(); }
