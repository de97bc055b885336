// Every kind of mistake in a pipeline file is reported at its exact file:line:column, says what
// would be valid, and several mistakes are reported together.
import XCTest
@testable import Pipeline

final class ValidationTests: XCTestCase {
    /// A download stage whose params block starts on line 6; `extra` lines follow `source`.
    private func download(_ extra: String) -> String {
        """
        name: p
        stages:
          data:
            kind: download
            params:
              source: synthetic
        \(extra)
        """
    }

    func testUnknownKindSuggestsTheNearest() {
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { kind: downlod }\n"), [
            "p.yaml:3:17: unknown stage kind 'downlod' (did you mean 'download'?); kinds: download, preprocess, pretrain, freeze, fine-tune, evaluate, export, report",
        ])
    }

    func testUnknownParameterSuggestsTheNearestAndListsTheKindsParameters() {
        XCTAssertEqual(Fixtures.problems(download("      imagez: 600")), [
            "p.yaml:7:7: stage 'data' (download) has no parameter 'imagez' (did you mean 'images'?); download parameters: source, url, path, sha256, mirror, test_path, labels, test_fraction, images, image_size, seed, shard_mib, max_download_mib, max_unpacked_mib, max_unpack_ratio, max_unpacked_files",
        ])
    }

    func testWrongTypesAndRangesSayWhatIsValid() {
        XCTAssertEqual(Fixtures.problems(download("      images: lots")),
                       ["p.yaml:7:15: 'images' is lots, expected an integer in 10...10000000"])
        XCTAssertEqual(Fixtures.problems(download("      images: 5")),
                       ["p.yaml:7:15: 'images' is 5, expected an integer in 10...10000000"])
        XCTAssertEqual(Fixtures.problems(download("      images: \"600\"")),
                       ["p.yaml:7:15: 'images' is \"600\", expected an integer in 10...10000000"])
        XCTAssertEqual(Fixtures.problems(download("      images: 6.5")),
                       ["p.yaml:7:15: 'images' is 6.5, expected an integer in 10...10000000"])
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { kind: download, params: { source: synthetik } }\n"),
                       ["p.yaml:3:45: 'source' is synthetik, expected one of cifar10, fashion-mnist, synthetic, url, path, image-folder"])
    }

    func testMoreValueTypes() {
        let finetune = { (params: String) in
            """
            name: p
            stages:
              data: { kind: download, params: { source: synthetic } }
              prep: { kind: preprocess, inputs: { raw: data }, params: { target_classes: [1, 2] } }
              tune: { kind: fine-tune, inputs: { data: prep }, params: { init: random, \(params) } }
            """
        }
        // The parameter's name starts at column 76, after `{ init: random, `.
        XCTAssertEqual(Fixtures.problems(finetune("lr: fast")), ["p.yaml:5:80: 'lr' is fast, expected a number in 1e-08...10.0"])
        XCTAssertEqual(Fixtures.problems(finetune("lr: .nan")), ["p.yaml:5:80: 'lr' is .nan, expected a number in 1e-08...10.0"])
        XCTAssertEqual(Fixtures.problems(finetune("augment: yes")), ["p.yaml:5:85: 'augment' is yes, expected true or false"])
        XCTAssertEqual(Fixtures.problems(finetune("head: big")),
                       ["p.yaml:5:82: 'head' is big, expected one of linear, study-optimized, study-frozen"])
        XCTAssertEqual(Fixtures.problems(finetune("lr: 1e-3")), [])
        XCTAssertEqual(Fixtures.problems(finetune("lr: 1")), [], "an integer is a valid float")
    }

    func testListsOfIntegers() {
        let prep = { (classes: String) in
            "name: p\nstages:\n  data: { kind: download, params: { source: synthetic } }\n"
                + "  prep: { kind: preprocess, inputs: { raw: data }, params: { target_classes: \(classes) } }\n"
        }
        XCTAssertEqual(Fixtures.problems(prep("[1, x]")),
                       ["p.yaml:4:78: 'target_classes' is [1, x], expected a list of integers in 0...9999, like [0, 1, 2]"])
        XCTAssertEqual(Fixtures.problems(prep("3")),
                       ["p.yaml:4:78: 'target_classes' is 3, expected a list of integers in 0...9999, like [0, 1, 2]"])
    }

    func testChoiceWithANamePart() {
        let freeze = { (value: String) in
            """
            name: p
            stages:
              data: { kind: download, params: { source: synthetic } }
              prep: { kind: preprocess, inputs: { raw: data }, params: { target_classes: [1, 2] } }
              pre: { kind: pretrain, inputs: { data: prep } }
              fr: { kind: freeze, inputs: { backbone: pre, data: prep }, params: { freeze: \(value) } }
            """
        }
        XCTAssertEqual(Fixtures.problems(freeze("up-to:block2")), [])
        XCTAssertEqual(Fixtures.problems(freeze("\"up-to:\"")),
                       ["p.yaml:6:80: 'freeze' is \"up-to:\", expected one of none, backbone, up-to:<layer>"])
    }

    func testMissingRequiredParametersAndConditionalOnes() {
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { kind: download }\n"),
                       ["p.yaml:3:3: stage 'data' needs parameter 'source' (it has no default)"])
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { kind: download, params: { source: url } }\n"), [
            "p.yaml:3:3: stage 'data' needs parameter 'url' when source is url",
            "p.yaml:3:3: stage 'data' needs parameter 'sha256' when source is url",
        ])
    }

    func testInputProblems() {
        let yaml = """
            name: p
            stages:
              data: { kind: download, params: { source: synthetic } }
              prep: { kind: preprocess, inputs: { raw: dta }, params: { target_classes: [1] } }
              pre: { kind: pretrain, inputs: { data: data, labels: prep } }
              fr: { kind: freeze, inputs: { data: [prep, prep] } }
            """
        XCTAssertEqual(Fixtures.problems(yaml), [
            "p.yaml:4:44: input 'raw' of stage 'prep' names stage 'dta', which does not exist (did you mean 'data'?); stages: data, prep, pre, fr",
            "p.yaml:5:42: input 'data' takes a preprocess stage, but 'data' is download",
            "p.yaml:5:48: stage 'pre' has no input 'labels'; pretrain inputs: data",
            "p.yaml:6:3: stage 'fr' needs input 'backbone' from a pretrain stage",
            "p.yaml:6:33: input 'data' of stage 'fr' takes one stage, not a list",
        ])
    }

    func testCycleNamesItsStages() {
        let yaml = """
            name: p
            stages:
              data: { kind: download, params: { source: synthetic } }
              prep: { kind: preprocess, inputs: { raw: data }, params: { target_classes: [1] } }
              a: { kind: pretrain, inputs: { data: prep } }
              b: { kind: freeze, inputs: { backbone: a, data: prep } }
              c: { kind: fine-tune, inputs: { backbone: b, data: prep } }
              d: { kind: evaluate, inputs: { model: c, data: prep } }
              e: { kind: freeze, inputs: { backbone: a, data: prep } }
            """
        XCTAssertEqual(Fixtures.problems(yaml), [])
        let cyclic = yaml.replacingOccurrences(of: "model: c", with: "model: f")
            + "\n  f: { kind: fine-tune, inputs: { backbone: g, data: prep } }\n  g: { kind: freeze, inputs: { backbone: f, data: prep } }\n"
        // Stage kinds only ever feed later kinds, so a cycle always has a wrongly typed input too.
        XCTAssertEqual(Fixtures.problems(cyclic), [
            "p.yaml:10:3: the stages form a cycle: f → g → f; remove one of these inputs",
            "p.yaml:11:42: input 'backbone' takes a pretrain stage, but 'f' is fine-tune",
        ])
    }

    func testDuplicateNamesAreReportedAtTheFirstOfThem() {
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { kind: download }\n  prep: { kind: download }\n  data: { kind: report }\n"),
                       ["p.yaml:3:3: 'data' appears more than once in this mapping; names must be unique"])
        XCTAssertEqual(Fixtures.problems(download("      source: url")),
                       ["p.yaml:6:7: 'source' appears more than once in this mapping; names must be unique"])
    }

    func testStructuralProblems() {
        XCTAssertEqual(Fixtures.problems("seed: 1\nstagse:\n  data: { kind: download }\n"), [
            "p.yaml:1:1: the pipeline has no 'name'; add it",
            "p.yaml:1:1: the pipeline has no 'stages'; add it",
            "p.yaml:2:1: unknown field 'stagse' (did you mean 'stages'?); valid fields: name, seed, seeds, repeats, per_seed, pretrain_seeds, accept_warnings, min_batchnorm_batch, stages, variants",
        ])
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { knd: download, param: {} }\n"), [
            "p.yaml:3:3: stage 'data' has no 'kind'; add it",
            "p.yaml:3:11: unknown field 'knd' (did you mean 'kind'?); valid fields: kind, inputs, params",
            "p.yaml:3:26: unknown field 'param' (did you mean 'params'?); valid fields: kind, inputs, params",
        ])
        XCTAssertEqual(Fixtures.problems("name: p\nstages: [a, b]\n"),
                       ["p.yaml:2:9: 'stages' must be a non-empty mapping of stage name to { kind, inputs, params }"])
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  fine tune: { kind: download, params: { source: synthetic } }\n"),
                       ["p.yaml:3:3: 'fine tune' is not a valid name; use letters, digits, '_' and '-', starting with a letter"])
    }

    func testYAMLSyntaxErrorsHaveAPosition() {
        XCTAssertEqual(Fixtures.problems("name: p\nstages:\n  data: { kind: download\n"),
                       ["p.yaml:4:1: not valid YAML: did not find expected ',' or '}'"])
    }

    func testIndependentProblemsAreAllReportedInFileOrder() {
        let problems = Fixtures.problems("""
            name: p
            seed: -1
            stages:
              data: { kind: download, params: { source: ftp } }
              prep: { kind: preproces, inputs: { raw: data } }
            """)
        XCTAssertEqual(problems.map { $0.components(separatedBy: ": ")[0] }, ["p.yaml:2:7", "p.yaml:4:45", "p.yaml:5:17"])
    }
}
