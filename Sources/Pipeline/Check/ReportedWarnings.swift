// The recipe check's warnings travel to the report inside the report stage's key: what the report
// says about the recipe is part of what it is, so acknowledging a warning (or fixing its cause)
// renders the report again, while a pipeline without warnings keeps the key it always had.
import Foundation
import Reporting

extension PlannedStage {
    /// The parameter of a report stage that holds the warnings; no pipeline file can set it.
    static let recipeCheckParameter = "recipe_check"

    /// This stage, a report carrying `warnings` as its `recipe_check` parameter when there are any.
    func carrying(_ warnings: [RecipeWarning]) -> PlannedStage {
        guard kind == .report, !warnings.isEmpty else { return self }
        var values = parameters.values
        values[Self.recipeCheckParameter] = .string(Self.encoded(warnings))
        return PlannedStage(name: name, template: template, variant: variant, seed: seed, backbone: backbone, kind: kind,
                            parameters: StageParameters(kind: kind, values: values), inputs: inputs, location: location)
    }

    /// The warnings a report stage carries; empty when it carries none.
    var carriedWarnings: [RecipeWarning] {
        guard case let .string(json)? = parameters.values[Self.recipeCheckParameter] else { return [] }
        return (try? JSONDecoder().decode([RecipeWarning].self, from: Data(json.utf8))) ?? []
    }

    private static func encoded(_ warnings: [RecipeWarning]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Plain values encode: cannot fail.
        return String(decoding: try! encoder.encode(warnings), as: UTF8.self)
    }
}
