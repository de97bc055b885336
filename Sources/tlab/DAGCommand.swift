// `tlab dag`: the pipeline's stage graph after variant expansion, as text, Mermaid or Graphviz dot.
import ArgumentParser
import Pipeline

struct DAGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Print the pipeline's stage graph (after overrides and variant expansion).",
        discussion: """
            The text form lists stages in execution order, indented by depth, with their inputs. Mermaid \
            renders on GitHub and in the report; dot goes to Graphviz.

            EXAMPLES:
              tlab dag pipelines/smoke.yaml
              tlab dag --format mermaid
              tlab dag pipelines/smoke.yaml --format dot | dot -Tsvg > dag.svg
            """)

    @OptionGroup var pipelineOptions: PipelineOptions

    @Option(help: "Output format.")
    var format: DAGFormat = .text

    func run() throws {
        print(try pipelineOptions.plan().renderDAG(format), terminator: "")
    }
}

extension DAGFormat: ExpressibleByArgument {}
