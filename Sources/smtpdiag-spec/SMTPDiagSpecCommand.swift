import ArgumentParser

@main
struct SMTPDiagSpecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpdiag-spec",
        abstract: "Check that mail to your domains still routes: DNS and SMTP expectations as code.",
        subcommands: [Run.self, Lint.self, Plan.self, Schema.self, Query.self]
    )
}
