import ArgumentParser
import Foundation

@main
struct SMTPDiagSpecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtpdiag-spec",
        abstract: "Check that mail to your domains still routes: DNS and SMTP expectations as code.",
        version: "smtpdiag-spec \(toolVersion) (spec format version 1)",
        subcommands: [
            Run.self, Diag.self, Init.self, Lint.self, Plan.self, Schema.self, Query.self, SPF.self, Report.self,
        ]
    )

    /// As ArgumentParser's, but usage errors exit 2 (the contract's "invalid spec or usage"), not 64.
    static func main() async {
        limitMallocArenas(2)
        // A closed pipe (`| head`) is an EPIPE from write(2) that OutputSink ends quietly, never a signal.
        signal(SIGPIPE, SIG_IGN)
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
                printError(fullMessage(for: error) + "\n")
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// This build's version, as `--version` prints it.
let toolVersion = "0.9.0"

/// At most `n` glibc malloc arenas. A run allocates on the event loops' threads and frees what the cache lets
/// go of there: with an arena for every thread, the 10,000-domain fleet peaked at 193 MB of RSS, with two at
/// 174-176 MB and no slower (measured side by side, MALLOC_ARENA_MAX). `mallopt` is not in Swift's Glibc
/// module, so it is looked up by name; elsewhere this does nothing.
func limitMallocArenas(_ n: Int32) {
    #if os(Linux)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mArenaMax, n)
    #endif
}
