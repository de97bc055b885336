// How every error ends the program: one line per problem on stderr, prefixed `error:`, and the exit
// code the help documents (0 ok, 1 failure, 2 usage error). Nothing else prints errors.
import ArgumentParser
import Foundation
import Store

enum ErrorPresentation {
    /// The exit code for a command line the parser rejects. ArgumentParser's own is EX_USAGE (64);
    /// we document 2, as most Unix tools use.
    static let usageExitCode: Int32 = 2

    /// Prints `error` for a person and exits with its code.
    static func exit(with error: Error) -> Never {
        let code = TLab.exitCode(for: error)
        if error is ExitCode {
            // A command already said what went wrong (verify listing damage) and only sets the status.
            Foundation.exit(code.rawValue)
        }
        switch code {
        case .success:
            // Help, version and completion scripts: the parser prints them.
            TLab.exit(withError: error)
        case .validationFailure:
            printLines(TLab.message(for: error) + " (see '\(helpCommand()) --help')")
            Foundation.exit(usageExitCode)
        default:
            // Our modules' errors describe what is wrong and what to do; anything else (an
            // unexpected SQLite failure) still gets one line, never a stack trace. Foundation's
            // errors describe themselves through localizedDescription.
            printLines(type(of: error) is NSError.Type ? (error as NSError).localizedDescription : "\(error)")
            Foundation.exit(code.rawValue)
        }
    }

    private static func printLines(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        // Each line escaped: an error quoting a hostile name must not drive the terminal.
        let body = lines.map { "error: " + printable(String($0), limit: 4000) }.joined(separator: "\n") + "\n"
        FileHandle.standardError.write(Data(body.utf8))
    }

    /// `tlab show` when the user typed `tlab show …`: the words of the command line that name
    /// (sub)commands, so the hint points at the help that explains the mistake.
    private static func helpCommand() -> String {
        var words = ["tlab"]
        var commands: [ParsableCommand.Type] = TLab.configuration.subcommands
        for argument in CommandLine.arguments.dropFirst() {
            guard let next = commands.first(where: { $0._commandName == argument }) else { break }
            words.append(argument)
            commands = next.configuration.subcommands
        }
        return words.joined(separator: " ")
    }
}
