// Which variants this CPU runs, and the active one.
#include "EngineKernels.h"
#include <stdatomic.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(__x86_64__)
extern const tlk_kernels tlk_kernels_avx2, tlk_kernels_portable;

/// AVX2 and FMA in the CPU, and the OS saving ymm registers on context switches (OSXSAVE, then
/// XCR0 bits 1 and 2): a CPU with AVX2 under an OS that does not save them would fault.
static int cpu_runs_avx2_fma(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned xcr0_low, xcr0_high;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx >> 5) & 1;
}
#elif defined(__aarch64__)
extern const tlk_kernels tlk_kernels_neon;
#else
extern const tlk_kernels tlk_kernels_portable;
#endif

int tlk_path_runs_here(tlk_path path) { return tlk_kernels_for(path) != NULL; }

const tlk_kernels *tlk_kernels_for(tlk_path path) {
    switch (path) {
#if defined(__x86_64__)
    case TLK_PATH_AVX2: return cpu_runs_avx2_fma() ? &tlk_kernels_avx2 : NULL;
    case TLK_PATH_PORTABLE: return &tlk_kernels_portable;
#elif defined(__aarch64__)
    case TLK_PATH_NEON: return &tlk_kernels_neon;
#else
    case TLK_PATH_PORTABLE: return &tlk_kernels_portable;
#endif
    default: return NULL;
    }
}

static _Atomic(const tlk_kernels *) active;

const tlk_kernels *tlk_active(void) { return atomic_load_explicit(&active, memory_order_relaxed); }

void tlk_activate(const tlk_kernels *kernels) { atomic_store_explicit(&active, kernels, memory_order_relaxed); }
