import ArgumentParser
import Foundation

@main
struct SMTPDiagSpecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpdiag-spec",
        abstract: "Check that mail to your domains still routes: DNS and SMTP expectations as code.",
        subcommands: [Run.self, Diag.self, Init.self, Lint.self, Plan.self, Schema.self, Query.self]
    )

    /// As ArgumentParser's, but usage errors exit 2 (the contract's "invalid spec or usage"), not 64.
    static func main() async {
        do {
            // SMTPDiag's own switches.
            let arguments = CommandLine.arguments.dropFirst().map { $0 == "/v" ? "-v" : ($0 == "/?" ? "--help" : $0) }
            var command = try parseAsRoot(Array(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
