// `tlab dag`: the pipeline's stage graph after variant expansion, as text, Mermaid, Graphviz dot or JSON.
import ArgumentParser
import Pipeline

struct DAGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Print the pipeline's stage graph (after overrides and variant expansion).",
        discussion: """
            The text form lists stages in execution order, indented by depth, with their inputs; the \
            copies of a stage repeated over seeds share one line (finetune@frozen#{1,2,3}). Mermaid \
            renders on GitHub and in the report; dot goes to Graphviz. --json lists every copy, with its \
            seed and the group it belongs to.

            EXAMPLES:
              tlab dag pipelines/smoke.yaml
              tlab dag --format mermaid
              tlab dag pipelines/smoke.yaml --format dot | dot -Tsvg > dag.svg
              tlab dag --json | jq -r '.stages[] | select(.kind == "fine-tune") | .name'
            """)

    @OptionGroup var pipelineOptions: PipelineOptions

    @Option(help: "Output format.")
    var format: DAGFormat = .text

    @OptionGroup var output: OutputOptions

    func run() throws {
        let plan = try pipelineOptions.plan()
        RecipeWarningText.print(plan)
        if output.json { return try JSONOutput.print(Graph(plan)) }
        print(plan.renderDAG(format), terminator: "")
    }

    /// The graph as `--json` prints it: stages in execution order, each with the stages it reads; a
    /// repeated stage's copies share a `group` and each has its `seed` (and `backbone`, its pretraining seed).
    struct Graph: Encodable {
        struct Stage: Encodable {
            let name: String
            let kind: String
            let variant: String?
            let seed: Int?
            /// The pretraining seed of the backbone a copy stands on (`pretrain_seeds`); absent without.
            let backbone: Int?
            let group: String
            let inputs: [Input]
        }
        struct Input: Encodable {
            let port: String
            let stage: String
        }
        let pipeline: String
        let variants: [String]
        let seeds: [Int]
        let stages: [Stage]

        init(_ plan: PipelinePlan) {
            pipeline = plan.name
            variants = plan.variants
            seeds = plan.seeds
            stages = plan.stages.map { stage in
                Stage(name: stage.name, kind: stage.kind.rawValue, variant: stage.variant, seed: stage.seed,
                      backbone: stage.backbone, group: stage.group, inputs: stage.inputs.map { Input(port: $0.port, stage: $0.stage) })
            }
        }
    }
}

extension DAGFormat: ExpressibleByArgument {}
