// How a benchmark times a repeated step: one warm-up, loops long enough to measure, the median of
// runs; and the process figures (peak RSS) reported next to the times.
import Dispatch
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Per-step seconds of a step timed in `runs` loops.
struct StepTiming {
    let median: Double
    let min: Double
    let max: Double
    /// Median process CPU seconds per step (all threads): less sensitive than wall time to other
    /// processes taking the cores.
    let medianCPU: Double

    /// Runs `loop(1)` once untimed (page faults, buffers, optimizer slots), times one more step to
    /// size the loops, then times `runs` loops of `max(minimumSteps, ⌈minimumSeconds / step⌉)` steps.
    /// `loop(n)` prepares and returns a call doing `n` steps, so preparation stays out of the timing.
    init(runs: Int, minimumSeconds: Double, minimumSteps: Int, loop: (Int) throws -> () throws -> Void) throws {
        precondition(runs >= 1 && minimumSteps >= 1, "timing needs runs ≥ 1 and minimumSteps ≥ 1")
        try loop(1)()
        let once = Swift.max(try Self.seconds(loop(1)), 1e-6)
        let steps = Swift.max(minimumSteps, Int((minimumSeconds / once).rounded(.up)))
        let body = try loop(steps)
        var times: [Double] = [], cpuTimes: [Double] = []
        for _ in 0..<runs {
            let cpuStart = processCPUSeconds()
            times.append(try Self.seconds(body) / Double(steps))
            cpuTimes.append((processCPUSeconds() - cpuStart) / Double(steps))
        }
        times.sort()
        median = Self.median(times)
        medianCPU = Self.median(cpuTimes.sorted())
        min = times.first!
        max = times.last!
    }

    private static func median(_ sorted: [Double]) -> Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
}

/// CPU seconds the process has used, all threads.
package func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// The process's peak resident set size so far, in MiB (`getrusage` `ru_maxrss`, KiB on Linux).
func peakResidentMiB() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_maxrss) / 1024
}
