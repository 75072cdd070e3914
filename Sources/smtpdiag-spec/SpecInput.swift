import ArgumentParser
import Foundation
import SMTPDiagDNS
import SMTPDiagFamilies
import SMTPDiagPlan
import SMTPDiagReport
import SMTPDiagSpec

/// The spec paths every subcommand that reads specs takes.
struct SpecInput: ParsableArguments {
    @Argument(help: "Spec files or folders (a folder's *.yaml and *.yml files). Default: specs/.")
    var paths: [String] = []

    @Option(
        name: .customLong("env"),
        help: ArgumentHelp(
            "Let specs read this environment variable as ${NAME} (repeatable). Without it only SMTPDIAG_* variables "
                + "are read.", valueName: "NAME"))
    var allowedVariables: [String] = []

    var resolvedPaths: [String] { paths.isEmpty ? ["specs"] : paths }

    /// The loader, with the variables the command line allows.
    var loader: SpecLoader {
        var loader = SpecLoader(families: Families.builtin.spec)
        loader.allowedVariables = Set(allowedVariables)
        return loader
    }

    func validate() throws {
        for name in allowedVariables
        where name.isEmpty || name.first?.isNumber == true
            || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        {
            throw ValidationError("--env takes a variable name (letters, digits, _); got \(name)")
        }
    }

    /// Says on standard error which checks ask the system resolvers, and which addresses those are: nothing in a
    /// spec that names no server should send queries somewhere the reader did not see.
    static func noteSystemResolvers(_ plan: CheckPlan) {
        let count = plan.checks.reduce(0) { $1.kind.usesSystemResolvers ? $0 + 1 : $0 }
        guard count > 0 else { return }
        let resolvers = SystemResolvers.load().map(\.description)
        printError(
            "note: \(count) of the \(plan.checks.count) check(s) ask the system resolvers ("
                + (resolvers.isEmpty
                    ? "none in /etc/resolv.conf" : "/etc/resolv.conf: " + resolvers.joined(separator: ", "))
                + "); name servers in dns_servers, or override with --dns-server system=ADDR, to ask others")
    }

    /// Loads and compiles; prints every diagnostic to standard error and exits 2 when there is any.
    func compile() throws -> (files: [SpecFile], plan: CheckPlan) {
        let loaded = loader.load(paths: resolvedPaths)
        let compiled = PlanCompiler(families: Families.builtin.plan).compile(loaded.files)
        let diagnostics = (loaded.diagnostics + compiled.diagnostics).sorted()
        if !diagnostics.isEmpty {
            for d in diagnostics { printError(terminalSafe(d.description)) }
            let files = Set(diagnostics.map(\.location.file)).count
            printError("\(diagnostics.count) error(s) in \(files) file(s); nothing was run\n")
            throw ExitCode(2)
        }
        return (loaded.files, compiled.plan)
    }
}

/// Ends the process at once with status 0, keeping `values` alive: freeing a plan of hundreds of
/// thousands of checks costs more than everything after it, and the process is ending anyway.
func finish(status: Int32 = 0, _ values: Any...) -> Never {
    withExtendedLifetime(values) {
        fflush(nil)
        exit(status)
    }
}
