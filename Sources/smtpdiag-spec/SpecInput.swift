import ArgumentParser
import Foundation
import SMTPDiagPlan
import SMTPDiagSpec

/// The spec paths every subcommand that reads specs takes.
struct SpecInput: ParsableArguments {
    @Argument(help: "Spec files or folders (a folder's *.yaml and *.yml files). Default: specs/.")
    var paths: [String] = []

    var resolvedPaths: [String] { paths.isEmpty ? ["specs"] : paths }

    /// Loads and compiles; prints every diagnostic to standard error and exits 2 when there is any.
    func compile() throws -> (files: [SpecFile], plan: CheckPlan) {
        let loaded = SpecLoader().load(paths: resolvedPaths)
        let compiled = PlanCompiler().compile(loaded.files)
        let diagnostics = (loaded.diagnostics + compiled.diagnostics).sorted()
        if !diagnostics.isEmpty {
            for d in diagnostics { FileHandle.standardError.write(Data((d.description + "\n").utf8)) }
            let files = Set(diagnostics.map(\.location.file)).count
            FileHandle.standardError.write(
                Data("\(diagnostics.count) error(s) in \(files) file(s); nothing was run\n".utf8))
            throw ExitCode(2)
        }
        return (loaded.files, compiled.plan)
    }
}

/// Ends the process at once with status 0, keeping `values` alive: freeing a plan of hundreds of
/// thousands of checks costs more than everything after it, and the process is ending anyway.
func finish(_ values: Any...) -> Never {
    withExtendedLifetime(values) {
        fflush(nil)
        exit(0)
    }
}
