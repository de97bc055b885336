// `tlab check`: the recipe check alone — set-ups that make a pipeline's comparisons untrustworthy,
// found before anything runs.
import ArgumentParser
import Pipeline

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a pipeline's recipe for set-ups that make its comparisons untrustworthy.",
        discussion: """
            Each warning names its rule, the stages, the figures and the fix: small-batch (BatchNorm \
            trained on batches below min_batchnorm_batch, 16 unless the file says, a short last batch \
            included), test-selects-epochs (validation_fraction 0: the test set selects epochs, stops \
            early or lowers the learning rate), few-seeds (variants compared over fewer than 3 seeds), \
            small-validation (a validation split whose accuracy near 90 % is known to worse than ±2 \
            points), idle-patience (early stopping that can never stop). A pipeline acknowledges a \
            deliberate choice with accept_warnings: [rule, ...]; acknowledged warnings are listed, not \
            counted. run, status and dag print the same warnings once; the report lists them in its \
            provenance. Exits 1 when a warning is not acknowledged.

            EXAMPLES:
              tlab check pipelines/fashion-transfer.yaml
              tlab check pipelines/cifar10-densenet121.yaml --json
            """)

    @OptionGroup var pipelineOptions: PipelineOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let plan = try pipelineOptions.plan()
        if output.json {
            try JSONOutput.print(plan.recipeWarnings)
        } else if plan.recipeWarnings.isEmpty {
            print("\(plan.name): no warnings")
        } else {
            for warning in plan.recipeWarnings {
                print((warning.accepted ? "acknowledged (accept_warnings): " : "warning: ") + "\(warning)")
            }
        }
        if !plan.recipeWarnings.filter({ !$0.accepted }).isEmpty { throw ExitCode.failure }
    }
}
