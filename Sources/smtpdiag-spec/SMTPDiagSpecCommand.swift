import ArgumentParser
import Foundation

@main
struct SMTPDiagSpecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpdiag-spec",
        abstract: "Check that mail to your domains still routes: DNS and SMTP expectations as code.",
        subcommands: [Run.self, Lint.self, Plan.self, Schema.self, Query.self]
    )

    /// As ArgumentParser's, but usage errors exit 2 (the contract's "invalid spec or usage"), not 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
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
